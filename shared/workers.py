"""Several worker processes on one listening socket (WEB_CONCURRENCY > 1).

Each worker is a whole service: its own event loop, producer, pools and lifespan. The parent
binds the socket (so every worker accepts on it and the kernel spreads the connections),
forks the workers, forwards SIGTERM/SIGINT to them, replaces a worker that dies on its own,
and exits 0 once every worker has stopped cleanly after the signal."""

import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType

import structlog

_log = structlog.get_logger("workers")
BACKLOG = 2048  # uvicorn's default
RESPAWN_PAUSE_S = 1.0  # a worker that died this soon after starting is not replaced at once


def bind(host: str, port: int) -> socket.socket:
    """The listening socket the workers share (inherited across fork)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _exit_code(error: SystemExit) -> int:
    code = error.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _stop_before_serving(signum: int, _: FrameType | None) -> None:
    raise SystemExit(0)  # nothing accepted yet: a clean stop


def _run_child(work: Callable[[], None]) -> int:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_before_serving)  # until the worker's server installs its own
    try:
        work()
    except SystemExit as error:
        return _exit_code(error)
    except BaseException:  # noqa: BLE001 - a worker that fails says why, then exits 1
        traceback.print_exc()
        return 1
    return 0


class Supervisor:
    """Forks `count` workers running `work` and keeps that many until told to stop."""

    def __init__(self, count: int, work: Callable[[], None]) -> None:
        if count < 1:
            raise ValueError("at least one worker")
        self._count = count
        self._work = work
        self._started: dict[int, float] = {}  # pid -> monotonic time it was forked
        self._stopping = False

    def run(self) -> int:
        """Blocks until the workers have stopped; 0 when each of them exited 0 on the signal."""
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        for _ in range(self._count):
            self._spawn()
        failed = False
        while self._started:
            pid, status = os.wait()
            started = self._started.pop(pid, None)
            if started is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if self._stopping:
                failed |= code != 0
                continue
            _log.warning("worker died; replacing it", pid=pid, exit_code=code)
            time.sleep(max(0.0, started + RESPAWN_PAUSE_S - time.monotonic()))
            if not self._stopping:
                self._spawn()
        return 1 if failed else 0

    def _spawn(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = _run_child(self._work)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        self._started[pid] = time.monotonic()
        if self._stopping:  # the signal came while this one was being forked
            os.kill(pid, signal.SIGTERM)

    def _forward(self, signum: int, _: FrameType | None) -> None:
        self._stopping = True
        for pid in self._started:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
