"""Where `make up OBSERVE=1` put Jaeger and Prometheus, and why a test must skip without them."""

import os

import httpx
import pytest

JAEGER_URL = f"http://localhost:{os.environ.get('JAEGER_QUERY_PORT', '16686')}"
PROMETHEUS_URL = f"http://localhost:{os.environ.get('PROMETHEUS_PORT', '9090')}"
WHY = (
    "{what} is not running at {url}: start the stack with `make up OBSERVE=1`, which builds"
    " Jaeger and Prometheus from the Go module proxy (devstack/tools.sh observe); where they"
    " cannot be built, this test cannot run"
)


async def require(http: httpx.AsyncClient, what: str, url: str, probe: str) -> None:
    try:
        answered = (await http.get(url + probe, timeout=2)).status_code == 200
    except httpx.HTTPError:
        answered = False
    if not answered:
        pytest.skip(WHY.format(what=what, url=url))
