"""Start, stop and kill our services as real processes, and await conditions with deadlines."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx

from shared.redact import redact

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".local" / "logs" / "integration"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float, what: str, every: float = 0.05
) -> T:
    """Await `probe` until it returns something other than None/False, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(every)


def ops(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `timestamp-ops`; its output also goes to the logs the secret-leak check reads."""
    done = subprocess.run(
        [sys.executable, "-c", "from ops.cli import main; main()", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / "timestamp-ops.log").open("a") as log:
        log.write(
            f"$ timestamp-ops {redact(' '.join(args))} -> {done.returncode}\n"
            f"{done.stdout}{done.stderr}"
        )
    return done


class ServiceProcess:
    """One of our services (`python -m <module>`) on its own port, logging to a file."""

    def __init__(self, module: str, env: Mapping[str, str], name: str | None = None) -> None:
        self.module = module
        self.port = int(env.get("SERVER_PORT") or free_port())
        self.env = {**os.environ, "LOG_FORMAT": "json", **env, "SERVER_PORT": str(self.port)}
        self.name = name or f"{module}-{self.port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServiceProcess":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        log.close()
        return self

    async def wait_healthy(self, timeout: float = 60, path: str = "/health") -> None:
        async with httpx.AsyncClient(timeout=2) as client:

            async def answers() -> bool:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"{self.name} exited {self.process.returncode}: {self.tail()}"
                    )
                try:
                    return (await client.get(self.url + path)).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(answers, timeout, f"{self.name} {path}", every=0.1)

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def exit_code(self, timeout: float = 30) -> int:
        assert self.process is not None
        process = self.process
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not exit within {timeout}s")
            await asyncio.sleep(0.05)
        return process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_lines(self) -> list[str]:
        return (
            self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        )

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_lines()[-lines:])
