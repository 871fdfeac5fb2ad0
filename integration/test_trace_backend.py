"""One command seen end to end in a real trace backend (Jaeger v2, `make up OBSERVE=1`): the
POST with a known traceparent, its Kafka produce, the consumer's batch and DB write, and the
GET ?wait= sent with the same traceparent, all in that one trace."""

import secrets

import httpx

from harness.waiting import eventually
from integration.conftest import COMMAND_URL, QUERY_URL
from integration.observe import JAEGER_URL, require
from shared.schema import TABLE

EXPECTED = {
    "POST /api/v1/timestamp/{timestamp}",
    "send timestamp.command.v1",
    "process timestamp.command.v1",
    f"INSERT {TABLE}",
    "GET /api/v1/timestamp/{record_id}",
    f"wait {TABLE}",
}


async def test_one_command_is_one_trace(http: httpx.AsyncClient) -> None:
    await require(http, "Jaeger", JAEGER_URL, "/api/services")
    trace_id = secrets.token_hex(16)
    traceparent = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    posted = await http.post(
        f"{COMMAND_URL}/api/v1/timestamp/2009-09-28T21:03:12Z", headers=traceparent
    )
    assert posted.status_code == 200
    assert posted.headers["traceparent"].split("-")[1] == trace_id
    read = await http.get(
        f"{QUERY_URL}/api/v1/timestamp/{posted.json()['id']}?wait=10", headers=traceparent
    )
    assert read.status_code == 200

    async def spans() -> set[str] | None:
        answer = await http.get(f"{JAEGER_URL}/api/traces/{trace_id}")
        if answer.status_code != 200:
            return None
        names = {
            span["operationName"] for trace in answer.json()["data"] for span in trace["spans"]
        }
        return names if EXPECTED <= names else None

    found = await eventually(spans, 60, f"the spans {sorted(EXPECTED)} in trace {trace_id}", 0.5)
    print("spans found:", sorted(found))
