"""Which HTTP server, and how many workers, the services run on: measured, not assumed.

For uvicorn (httptools, uvloop; our `shared.server`) and granian, each with 1 and 2 worker
processes, wrk loads the raw ASGI no-op (`bench.noop_app`, NOOP_RAW=1) and the command service
(`POST /api/v1/timestamp/{ts}`, publishing to the running platform's Kafka), in alternating
rounds. Needs the platform (`make up`, or run under `devstack/platform.sh with`) and granian
(`pip install granian`).

    python -m bench.servers [--seconds 10] [--rounds 2] [--out bench/results/servers.json]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.wrk import run_wrk
from harness.http import http_get
from harness.processes import free_port
from harness.waiting import wait_until

SERVERS = ("uvicorn", "granian")
WORKERS = (1, 2)
APPS = ("raw", "command")


@dataclass(frozen=True)
class Setup:
    server: str
    workers: int
    app: str

    @property
    def label(self) -> str:
        return f"{self.app} on {self.server}, {self.workers} worker(s)"


def _command(setup: Setup, port: int) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "SERVER_PORT": str(port), "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"}
    if setup.app == "raw":
        env["NOOP_RAW"] = "1"
    if setup.server == "uvicorn":
        module = "bench.noop_app" if setup.app == "raw" else "command_service"
        env["WEB_CONCURRENCY"] = str(setup.workers)
        return [sys.executable, "-m", module], env
    factory = "bench.granian_apps:raw_noop" if setup.app == "raw" else "bench.granian_apps:command"
    granian = [sys.executable, "-m", "granian", "--interface", "asgi", "--loop", "uvloop"]
    options = ["--workers", str(setup.workers), "--host", "127.0.0.1", "--port", str(port)]
    return [*granian, *options, "--no-ws", "--log-level", "warning", "--factory", factory], env


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"{url} exited {process.returncode}")
    try:
        return http_get(url + "/health")[0] == 200
    except OSError:
        return False


def measure(setup: Setup, seconds: float, log: Path) -> dict[str, Any]:
    port = free_port()
    command, env = _command(setup, port)
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url, process), 60, f"{url}/health", every=0.2)
        time.sleep(1)  # every worker past its start-up (a second worker starts a little later)
        run_wrk(url, "post.lua", 3, 64)
        result = run_wrk(url, "post.lua", seconds, 64)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    return {"server": setup.server, "workers": setup.workers, "app": setup.app, **result.to_json()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/servers.json"))
    args = parser.parse_args(argv)
    log = Path(".local/logs/bench-servers.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    setups = [Setup(s, w, a) for s in SERVERS for w in WORKERS for a in APPS]
    runs: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        for setup in setups:
            run = {"round": round_ + 1, **measure(setup, args.seconds, log)}
            print(f"{setup.label}: {run['ok_rps']:,.0f} req/s, p99 {run['p99_ms']:.1f} ms")
            runs.append(run)
    args.out.write_text(json.dumps({"runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
