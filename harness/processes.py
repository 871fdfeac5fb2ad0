"""Our services and CLI as real processes (`python -m <module>`, as `make up` starts them), each
on a port of its own, logging to a file; their memory from /proc."""

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import httpx

from harness.waiting import eventually
from shared.redact import redact

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".local" / "logs" / "harness"


# Below Linux's ephemeral range (32768-60999), where the kernel picks the local ports of
# outgoing connections and of bind(0): a port found free there can be taken by one of those
# before the service binds it. Above the devstack's and the usual well-known ports.
PORTS = range(10_000, 32_000)


def free_port() -> int:
    """A port nothing listens on or is bound to now, at random outside the ephemeral range."""
    while True:
        port = random.choice(PORTS)
        with socket.socket() as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A /proc/<pid>/status memory field in MiB: VmRSS now, VmHWM the most it ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no {field} for pid {pid}")


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
    """One of our services (`python -m <module>`) on its own port, with JSON logs in a file."""

    def __init__(self, module: str, env: Mapping[str, str], name: str | None = None) -> None:
        self.module = module
        self.port = int(env.get("SERVER_PORT") or free_port())
        self.env = {**os.environ, "LOG_FORMAT": "json", **env, "SERVER_PORT": str(self.port)}
        self.name = name or f"{module}-{self.port}"
        self.log_path = LOGS / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0  # time.monotonic() at start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def role(self) -> str:
        """command, consumer, query (or the module's name for another app)."""
        return self.module.removesuffix("_service")

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def start(self) -> Self:
        LOGS.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.started = time.monotonic()
        return self

    def assert_running(self) -> None:
        assert self.process is not None, f"{self.name} was never started"
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited {self.process.returncode}: {self.tail()}")

    async def wait_healthy(self, timeout: float = 60, path: str = "/health") -> None:
        """Until GET `path` answers 200 (/health, or /ready once its dependencies answer)."""
        async with httpx.AsyncClient(timeout=2) as client:

            async def answers() -> bool:
                self.assert_running()
                try:
                    return (await client.get(self.url + path)).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(answers, timeout, f"{self.name} {path}", every=0.1)

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def exit_code(self, timeout: float = 30) -> int:
        process = self.process
        assert process is not None

        async def exited() -> int | None:
            return process.poll()

        return await eventually(exited, timeout, f"{self.name} to exit")

    def peak_rss_mb(self) -> float:
        return memory_mb(self.pid, "VmHWM")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it has not exited 30 s later."""
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
