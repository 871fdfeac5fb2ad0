"""Run wrk (a separate C process on loopback, bounded in time) and read its summary."""

import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.jsonout import parse

SCRIPTS = Path(__file__).resolve().parent / "wrk"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int  # socket errors + non-2xx responses + timeouts
    ok_rps: float  # successful requests per second
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise FileNotFoundError("wrk not found (apt-get install wrk)")
    return found


def run_wrk(
    url: str, script: str, seconds: float, connections: int, args: list[str] | None = None
) -> WrkResult:
    command = [
        wrk_binary(),
        "-t1",  # one thread drives far more than one uvicorn process; leaves a core to it
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        script,
        url,
    ]
    if args:
        command += ["--", *args]
    done = subprocess.run(
        command, cwd=SCRIPTS, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    raw = parse(done.stdout)
    errors = sum(
        raw[key] for key in ("connect_errors", "read_errors", "write_errors", "non_2xx", "timeouts")
    )
    duration = raw["duration_us"] / 1e6
    return WrkResult(
        requests=raw["requests"],
        seconds=duration,
        errors=errors,
        ok_rps=(raw["requests"] - raw["non_2xx"] - raw["timeouts"]) / duration,
        p50_ms=raw["p50_ms"],
        p90_ms=raw["p90_ms"],
        p99_ms=raw["p99_ms"],
        max_ms=raw["max_ms"],
    )
