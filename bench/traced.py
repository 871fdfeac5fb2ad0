"""Whether the run's services trace, and `--tracing`: every process the run starts then traces
every request (OTEL_TRACES_SAMPLER=always_on) over OTLP/HTTP to Jaeger from devstack/observe.sh
on OTLP_HTTP_PORT, started for the run unless already running (`make up OBSERVE=1`)."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.subprocs import say
from harness.processes import ROOT
from shared.tracing import wanted

SCRIPT = ROOT / "devstack" / "observe.sh"


def recorded() -> dict[str, Any]:
    """For the results: tracing on or off in the services the run starts (they inherit this
    environment), and the OTEL_* settings they see."""
    settings = {name: value for name, value in os.environ.items() if name.startswith("OTEL_")}
    return {"on": wanted() is not None, **dict(sorted(settings.items()))}


def _observe(action: str, timeout: float) -> int:
    return subprocess.run(["bash", SCRIPT, action], check=False, timeout=timeout).returncode


@contextmanager
def tracing() -> Iterator[None]:
    """The run's services trace to Jaeger while the block runs."""
    port = os.environ.get("OTLP_HTTP_PORT", "4318")
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_TRACES_SAMPLER": "always_on",
    }
    started = _observe("status", 10) != 0
    if started and _observe("start", 3600) != 0:  # the first time, Jaeger is built (minutes)
        raise SystemExit("devstack/observe.sh could not start Jaeger; see .local/logs/jaeger.log")
    say(f"tracing on: {env['OTEL_TRACES_SAMPLER']}, to {env['OTEL_EXPORTER_OTLP_ENDPOINT']}")
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if started:
            _observe("stop", 120)
