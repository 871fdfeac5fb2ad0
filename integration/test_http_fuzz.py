"""Property test of the HTTP surface: whatever arrives, no 5xx and no stack trace (issue 5.7)."""

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.conftest import COMMAND_URL, QUERY_URL

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

TEMPLATES = [
    (COMMAND_URL, "POST", "/api/v1/timestamp/{}"),
    (COMMAND_URL, "POST", "/api/v1/timestamp"),
    (COMMAND_URL, "POST", "/app"),
    (COMMAND_URL, "GET", "/api/v1/timestamp/{}"),
    (QUERY_URL, "GET", "/api/v1/timestamp/{}"),
    (QUERY_URL, "POST", "/api/v1/timestamp/{}"),
    (QUERY_URL, "GET", "/{}"),
]
segments = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["2009-09-28T19:03:12Z", "' OR 1=1 --", "..", "%00", "9" * 500]),
    st.uuids().map(str),
)
header_values = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
    st.uuids().map(str),
)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    template=st.sampled_from(TEMPLATES),
    segment=segments,
    correlation=header_values,
    wait=st.one_of(st.none(), st.text(max_size=8)),
    body=st.binary(max_size=64),
)
def test_no_request_gets_a_5xx_or_a_stack_trace(
    client: httpx.Client,
    template: tuple[str, str, str],
    segment: str,
    correlation: str | None,
    wait: str | None,
    body: bytes,
) -> None:
    base, method, path = template
    url = base + path.format(quote(segment, safe=""))
    headers = {"Content-Type": "application/json"}
    if correlation is not None:
        headers["correlationId"] = correlation
    params = {} if wait is None else {"wait": wait}
    for request_body in (b"", body):  # two requests per example: >= 2,000 in all
        response = client.request(method, url, headers=headers, params=params, content=request_body)
        assert response.status_code < 500, (method, url, response.status_code, response.text)
        assert "Traceback" not in response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", response.text
