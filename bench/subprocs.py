"""Run a bench helper process (`python -m bench.<module> …`) and read its BENCHJSON line."""

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.jsonout import parse
from harness.processes import ROOT


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_json(module: str, args: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} exited {done.returncode}: {done.stderr[-2000:]}")
    return parse(done.stdout)


def timed(
    command: list[str], timeout: float, tick: Callable[[], None] | None = None, every_s: float = 1.0
) -> tuple[float, str]:
    """Wall seconds of a command (it must succeed) and its combined output; `tick()` is called
    every `every_s` while it runs."""
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        while True:
            try:
                output, _ = process.communicate(timeout=every_s)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() - started > timeout:
                    process.kill()
                    raise
                if tick is not None:
                    tick()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {process.returncode}: {output[-2000:]}")
    return elapsed, output
