"""Traces with the SDK's in-memory exporter: POST → the Kafka record's `traceparent` → the
consumer's batch span (linking every record) → its DB child span; and nothing at all off."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from command_service.publisher import CommandPublisher
from command_service.settings import CommandSettings
from consumer_service.loop import Prepared
from shared import tracing
from shared.headers import Headers
from shared.messages import decode_row
from shared.schema import TABLE
from tests.kafka_headers import as_consumed
from tests.serving import serving
from tests.test_command_routes import app_publishing_to
from tests.test_loop_dead_letters import (
    P0,
    FakeConsumer,
    FakeDeadLetters,
    FakeSink,
    command,
    new_loop,
)
from tests.test_publisher import FakeProducer

GIVEN_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
GIVEN = f"00-{GIVEN_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.start_tracing("test", exporter)
    try:
        yield exporter
    finally:
        tracing.stop_tracing()


async def command_client(
    fast_lane: bool, producer: FakeProducer
) -> AsyncIterator[httpx.AsyncClient]:
    publisher = CommandPublisher(CommandSettings(), lambda: producer)
    await publisher.start()
    app = app_publishing_to(CommandSettings(fast_lane=fast_lane), publisher)
    async with serving(app, "http://command") as client:
        yield client
    await publisher.stop()


def by_name(exported: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    found = [span for span in exported if span.name == name]
    assert len(found) == 1, [span.name for span in exported]
    return found[0]


@pytest.mark.parametrize("fast_lane", [True, False], ids=["fast-lane", "fastapi"])
async def test_post_continues_the_given_trace_into_the_kafka_record(
    spans: InMemorySpanExporter, fast_lane: bool
) -> None:
    producer = FakeProducer()
    async for client in command_client(fast_lane, producer):
        response = await client.post(
            "/api/v1/timestamp/2009-09-28T21:03:12Z", headers={"traceparent": GIVEN}
        )
    assert response.status_code == 200
    exported = spans.get_finished_spans()
    server = by_name(exported, "POST /api/v1/timestamp/{timestamp}")
    send = by_name(exported, "send timestamp.command.v1")
    assert server.kind == SpanKind.SERVER and send.kind == SpanKind.PRODUCER
    assert server.context is not None and send.context is not None and send.parent is not None
    assert f"{server.context.trace_id:032x}" == GIVEN_TRACE
    assert server.parent is not None and f"{server.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert send.parent.span_id == server.context.span_id
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200
    # the answer names the server span; the record names the producer span
    assert response.headers["traceparent"] == f"00-{GIVEN_TRACE}-{server.context.span_id:016x}-01"
    headers = dict(producer.records[0][1]["headers"])
    assert headers["traceparent"] == f"00-{GIVEN_TRACE}-{send.context.span_id:016x}-01".encode()
    assert "correlationId" in headers


@pytest.mark.parametrize("given", ["", "garbage", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"])
async def test_an_invalid_traceparent_starts_a_new_trace(
    spans: InMemorySpanExporter, given: str
) -> None:
    async for client in command_client(True, FakeProducer()):
        response = await client.post("/app", headers={"traceparent": given})
    assert response.status_code == 200
    server = by_name(spans.get_finished_spans(), "POST /app")
    assert server.parent is None and server.context is not None
    assert response.headers["traceparent"].split("-")[1] == f"{server.context.trace_id:032x}"


@pytest.mark.parametrize("fast_lane", [True, False], ids=["fast-lane", "fastapi"])
async def test_off_no_span_and_no_header(fast_lane: bool) -> None:
    assert tracing.TRACER is None
    producer = FakeProducer()
    async for client in command_client(fast_lane, producer):
        response = await client.post("/app", headers={"traceparent": GIVEN})
        health = await client.get("/health", headers={"traceparent": GIVEN})
    assert response.status_code == health.status_code == 200
    assert "traceparent" not in response.headers and "traceparent" not in health.headers
    assert [name for name, _ in producer.records[0][1]["headers"]] == ["correlationId"]


async def test_other_routes_are_traced_through_fastapi(spans: InMemorySpanExporter) -> None:
    async for client in command_client(True, FakeProducer()):
        response = await client.get("/health")
    assert response.status_code == 200
    server = by_name(spans.get_finished_spans(), "GET /health")
    assert server.context is not None
    assert response.headers["traceparent"].split("-")[2] == f"{server.context.span_id:016x}"


def traced_record(offset: int, headers: Headers) -> ConsumerRecord[bytes, bytes]:
    value = command(offset)
    return ConsumerRecord(
        P0.topic, P0.partition, offset, 0, 0, None, value, None, 0, 0, as_consumed(headers)
    )


async def test_batch_span_links_every_record_and_the_write_is_its_child(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consumer_service import loop as loop_module

    monkeypatch.setattr(loop_module, "apply_batch", FakeSink())
    other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    records = [
        traced_record(0, [("traceparent", GIVEN.encode())]),
        traced_record(1, [("traceparent", b"\xff\xfe not one"), ("traceparent", None)]),
        traced_record(2, []),
        traced_record(3, [("traceparent", other.encode())]),
    ]
    loop = new_loop(FakeConsumer(), FakeDeadLetters())
    rows = [decode_row(record.value) for record in records]
    await loop.apply(Prepared(rows, records, {P0: 4}, 4, []))
    exported = spans.get_finished_spans()
    batch = by_name(exported, "process timestamp.command.v1")
    write = by_name(exported, f"INSERT {TABLE}")
    assert batch.kind == SpanKind.CONSUMER and write.kind == SpanKind.CLIENT
    linked = [f"{link.context.trace_id:032x}" for link in batch.links]
    assert linked == [GIVEN_TRACE, "0af7651916cd43dd8448eb211c80319c"]
    assert batch.context is not None and write.parent is not None
    assert write.parent.span_id == batch.context.span_id
    assert f"{batch.context.trace_id:032x}" == GIVEN_TRACE  # the first record's trace
    assert write.attributes is not None and write.attributes["db.operation.batch.size"] == 4


async def test_log_lines_inside_a_span_carry_its_ids(spans: InMemorySpanExporter) -> None:
    from shared.logging import add_trace_ids

    assert tracing.TRACER is not None
    assert add_trace_ids(None, "info", {}) == {}
    with tracing.span(tracing.TRACER, "outer") as current:
        event = add_trace_ids(None, "info", {})
    context = current.get_span_context()
    assert event == {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}
    await asyncio.sleep(0)


def test_the_environment_decides() -> None:
    assert tracing.wanted({}) is None
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}) == "otlp"
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "console"}) == "console"
    assert (
        tracing.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"}) is None
    )
    assert tracing.wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) is None


async def test_a_wait_is_a_span_of_the_request_that_the_wake_up_ends(
    spans: InMemorySpanExporter,
) -> None:
    from query_service.reading import traced_wait
    from tests.test_wait_for import DOCUMENT, FakeLookups, FakeWaiters

    lookups, waiters = FakeLookups(), FakeWaiters()
    assert tracing.TRACER is not None
    with tracing.span(
        tracing.TRACER, "GET /api/v1/timestamp/{record_id}", SpanKind.SERVER
    ) as request:
        waiting = asyncio.create_task(
            traced_wait(tracing.TRACER, uuid.uuid4(), 5, lookups, waiters)
        )
        while waiters.arrived is None:
            await asyncio.sleep(0)
        waiters.arrived.set_result(DOCUMENT)  # the NOTIFY
        assert await waiting == DOCUMENT
    wait = by_name(spans.get_finished_spans(), f"wait {TABLE}")
    assert wait.parent is not None and wait.parent.span_id == request.get_span_context().span_id
    assert wait.attributes is not None and wait.attributes["timestamp.record.found"] is True
