"""One command seen end to end in a real trace backend (Jaeger v2, from integration/observe.py):
the POST with a known traceparent, its Kafka produce, the consumer's batch and DB write, and the
GET ?wait= sent with the same traceparent, all in that one trace. The services are this test's
own, tracing to that Jaeger over OTLP/HTTP."""

import secrets
from dataclasses import dataclass

import httpx
import pytest

from harness.processes import ServiceProcess
from harness.waiting import eventually
from integration.observe import BUILD_TIMEOUT_S, JAEGER_URL, OTLP_URL
from shared.schema import TABLE


@dataclass(frozen=True)
class Traced:
    topic: str
    command: ServiceProcess
    query: ServiceProcess


@pytest.fixture
async def traced(fresh_topic: str, services: list[ServiceProcess], observability: None) -> Traced:
    """A command service, a consumer and a query service, all three tracing to Jaeger."""
    tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": OTLP_URL}
    command = ServiceProcess("command_service", {**tracing, "KAFKA_PUBLISH_TOPIC": fresh_topic})
    consumer = ServiceProcess(
        "consumer_service",
        {**tracing, "KAFKA_CONSUMER_TOPIC": fresh_topic, "KAFKA_GROUP_ID": f"g-{fresh_topic}"},
    )
    query = ServiceProcess("query_service", tracing)
    services += [command.start(), consumer.start(), query.start()]
    await command.wait_healthy()
    await consumer.wait_healthy(path="/ready")
    await query.wait_healthy()
    return Traced(fresh_topic, command, query)


@pytest.mark.timeout(BUILD_TIMEOUT_S)  # the first run builds Jaeger
async def test_one_command_is_one_trace(http: httpx.AsyncClient, traced: Traced) -> None:
    expected = {
        "POST /api/v1/timestamp/{timestamp}",
        f"send {traced.topic}",
        f"process {traced.topic}",
        f"INSERT {TABLE}",
        "GET /api/v1/timestamp/{record_id}",
        f"wait {TABLE}",
    }
    trace_id = secrets.token_hex(16)
    traceparent = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    posted = await http.post(
        f"{traced.command.url}/api/v1/timestamp/2009-09-28T21:03:12Z", headers=traceparent
    )
    assert posted.status_code == 200
    assert posted.headers["traceparent"].split("-")[1] == trace_id
    read = await http.get(
        f"{traced.query.url}/api/v1/timestamp/{posted.json()['id']}?wait=10", headers=traceparent
    )
    assert read.status_code == 200

    async def spans() -> set[str] | None:
        answer = await http.get(f"{JAEGER_URL}/api/traces/{trace_id}")
        if answer.status_code != 200:
            return None
        names = {
            span["operationName"] for trace in answer.json()["data"] for span in trace["spans"]
        }
        return names if expected <= names else None

    found = await eventually(spans, 60, f"the spans {sorted(expected)} in trace {trace_id}", 0.5)
    print("spans found:", sorted(found))
