"""Jaeger and Prometheus for the tests that need them: devstack/observe.sh on this suite's ports
(OTLP_HTTP_PORT, JAEGER_QUERY_PORT, PROMETHEUS_PORT, …), Prometheus scraping the services on
COMMAND_PORT, CONSUMER_PORT and QUERY_PORT. Built from the Go module proxy the first time
(`make test` starts that build in the background); where they cannot be built, the tests skip."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.processes import ROOT

OTLP_URL = f"http://127.0.0.1:{os.environ.get('OTLP_HTTP_PORT', '4318')}"
JAEGER_URL = f"http://localhost:{os.environ.get('JAEGER_QUERY_PORT', '16686')}"
PROMETHEUS_URL = f"http://localhost:{os.environ.get('PROMETHEUS_PORT', '9090')}"
# A build with empty Go caches took 76 minutes on 2 cores shared with other work (README).
BUILD_TIMEOUT_S = 3600
SCRIPT = ROOT / "devstack" / "observe.sh"


@contextmanager
def backends() -> Iterator[None]:
    """Jaeger and Prometheus running while the block runs; what was started here is stopped
    afterwards (a `make up OBSERVE=1` stack's are used and left running)."""
    if subprocess.run(["bash", SCRIPT, "status"], check=False).returncode == 0:
        yield
        return
    started = subprocess.run(
        ["bash", SCRIPT, "start"],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if started.returncode != 0:
        output = (started.stdout + started.stderr).strip()
        if shutil.which("go") is None:
            pytest.skip(
                "Jaeger and Prometheus are not built and cannot be: devstack/tools.sh observe"
                f" builds them with Go from the Go module proxy, and go is not on PATH ({output})"
            )
        pytest.fail(f"devstack/observe.sh start failed:\n{output}")
    try:
        yield
    finally:
        subprocess.run(["bash", SCRIPT, "stop"], check=False, timeout=120)
