"""What tracing costs per command, in CPU time of the process (its threads too, so the SDK's
export thread counts; other processes' load does not): the command service's fast lane (its real
publisher, a producer that acknowledges at once) and the consumer's per-batch apply (a sink
that writes nothing), each with tracing off and on (100 % sampled, spans OTLP-encoded in the
SDK's batch processor as the OTLP exporter would, but not sent: the network is not measured).

    python -m bench.tracing_cost [--commands 20000] [--batch 500]
"""

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from unittest import mock

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from prometheus_client import CollectorRegistry
from starlette.types import Message, Scope

from command_service.app import create_app
from command_service.metrics import CommandMetrics
from command_service.publisher import CommandPublisher, ProduceBatch
from command_service.runtime import CommandRuntime
from command_service.settings import CommandSettings
from consumer_service import loop as loop_module
from consumer_service.dead_letters import DeadLetters
from consumer_service.loop import ConsumeLoop, Prepared
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings
from shared import tracing
from shared.db import Connection
from shared.logging import configure_logging
from shared.messages import Row, decode_row


class EncodingExporter(SpanExporter):
    """Does the OTLP exporter's CPU work (protobuf encoding) and drops the bytes."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        encode_spans(spans).SerializeToString()
        return SpanExportResult.SUCCESS


class AckingProducer:
    class Batch:
        def append(self, **record: object) -> object:
            return object()

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def create_batch(self) -> "AckingProducer.Batch":
        return self.Batch()

    async def send_batch(
        self, batch: ProduceBatch, topic: str, *, partition: int
    ) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def commands_per_second(count: int, flush: Callable[[], object]) -> float:
    settings = CommandSettings(kafka_linger_ms=0)
    app = create_app(settings)
    publisher = CommandPublisher(settings, AckingProducer)
    await publisher.start()
    state = {"runtime": CommandRuntime(settings, publisher, CommandMetrics(CollectorRegistry()))}
    headers = [(b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    def scope() -> Scope:
        return {
            "type": "http",
            "method": "POST",
            "path": "/api/v1/timestamp/2009-09-28T21:03:12Z",
            "headers": headers,
            "query_string": b"",
            "http_version": "1.1",
            "scheme": "http",
            "state": state.copy(),  # the lifespan's state, as the server hands it to a request
        }

    async def one() -> None:
        await app(scope(), receive, send)

    for _ in range(500):  # warm-up
        await one()
    started = time.process_time()
    for _ in range(count // 100):
        await asyncio.gather(*(one() for _ in range(100)))
    flush()  # the spans' export counts too
    return count / (time.process_time() - started)


class IdleConsumer:
    """Owns no partition: nothing to poll, nothing to commit."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int, max_records: int
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        return {}

    def assignment(self) -> set[TopicPartition]:
        return set()

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...


class NoPool:
    """The sink here writes nothing: no connection is ever taken."""

    def acquire(self) -> AbstractAsyncContextManager[Connection]:
        raise AssertionError("the sink writes nothing")


async def batches_per_second(size: int, count: int, flush: Callable[[], object]) -> float:
    async def sink(pool: object, rows: Sequence[Row]) -> tuple[int, list[int]]:
        return len(rows), []

    settings = ConsumerSettings(offset_commit_interval_ms=60000)
    dead_letters = DeadLetters(None, settings.kafka_consumer_topic)
    metrics = ConsumerMetrics(CollectorRegistry())
    loop = ConsumeLoop(IdleConsumer(), NoPool(), dead_letters, settings, metrics)
    value = (
        b'{"command_id":"6b1d4a1e-7a6c-4c2e-9a51-0f8b8d7c1a01","event_timestamp":'
        b'"2001-02-03T04:05:06Z","accepted_at":"2001-02-03T04:05:06Z"}'
    )
    header = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    records: list[ConsumerRecord[bytes, bytes]] = [
        ConsumerRecord("t", 0, n, 0, 0, None, value, None, 0, 0, header) for n in range(size)
    ]
    rows = [decode_row(value)] * size
    started = time.process_time()
    with mock.patch.object(loop_module, "apply_batch", sink):
        for _ in range(count):
            await loop.apply(Prepared(rows, records, {}, size, []))
    flush()
    return count / (time.process_time() - started)


def traced(on: bool) -> TracerProvider | None:
    if not on:
        tracing.TRACER = None
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(BatchSpanProcessor(EncodingExporter()))
    tracing.TRACER = provider.get_tracer("bench")
    return provider


async def main(commands: int, batch: int) -> None:
    results: dict[str, dict[bool, float]] = {"commands": {}, "batches": {}}
    for enabled in (False, True, False, True):  # twice each, interleaved: the best of two
        provider = traced(enabled)
        flush = provider.force_flush if provider is not None else lambda: None
        rate = await commands_per_second(commands, flush)
        results["commands"][enabled] = max(rate, results["commands"].get(enabled, 0))
        rate = await batches_per_second(batch, 200, flush)
        results["batches"][enabled] = max(rate, results["batches"].get(enabled, 0))
        if provider is not None:
            provider.shutdown()

    off, on = results["commands"][False], results["commands"][True]
    print(
        f"command POST (fast lane): off {off:,.0f}/s, on {on:,.0f}/s: "
        f"+{(1 / on - 1 / off) * 1e6:.1f} µs per command ({off / on - 1:.0%})"
    )
    off, on = results["batches"][False], results["batches"][True]
    print(
        f"consumer batch of {batch}: off {1e3 / off:.3f} ms, on {1e3 / on:.3f} ms: "
        f"+{(1 / on - 1 / off) * 1e6 / batch:.2f} µs per record"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    arguments = parser.parse_args()
    configure_logging("bench", "WARNING", "json")
    asyncio.run(main(arguments.commands, arguments.batch))
