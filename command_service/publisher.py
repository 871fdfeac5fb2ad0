"""The producer's lifecycle and the one operation the routes need: publish and await the ack.

Commands travel in batches, one per partition, formed while the previous batch is in flight:
a command arriving when no batch is travelling goes at the end of the event-loop turn; one
arriving while a batch travels waits until that batch is acknowledged (or until
KAFKA_LINGER_MS after it left, whichever comes first), and every command arriving meanwhile
travels with it. So a quiet service adds no delay, a busy one sends one produce request per
broker round trip, as large as the load makes it, instead of aiokafka's per-message `send` for
each command. A record goes to the partition Kafka's default partitioner gives its key
(murmur2(key) % partitions), so any standard producer re-driving it (kcat, MirrorMaker, a DLQ
redrive) lands it on the same one."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)
from aiokafka.partitioner import murmur2
from opentelemetry.trace import SpanKind

from command_service.retry_after import OutageClock
from command_service.settings import CommandSettings
from shared import tracing
from shared.background import DetachedTasks
from shared.correlation import KAFKA_HEADER
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand
from shared.tracing import HEADER as TRACE_HEADER
from shared.tracing import span, traceparent

_log = structlog.get_logger("publisher")
MAX_BATCH_BYTES = 256 * 1024  # ~1,000 commands; a fuller window is split over more batches


class BrokerUnavailable(Exception):
    """Kafka did not acknowledge in time; the command may or may not have landed."""


# After a broker outage the idempotent producer's sequence state can go stale, and every
# later send fails the same way (aiokafka#1017); only a new producer (new producer id) recovers.
WEDGED = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


class ProduceBatch(Protocol):
    """The records of one partition, sent as one produce request (aiokafka's BatchBuilder)."""

    def append(
        self,
        *,
        timestamp: float | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> object | None:
        """Metadata of the appended record; None when the batch is full."""


class Producer(Protocol):
    """What the publisher needs of a Kafka producer (AIOKafkaProducer)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def partitions_for(self, topic: str) -> set[int]: ...

    def create_batch(self) -> ProduceBatch: ...

    async def send_batch(
        self, batch: ProduceBatch, topic: str, *, partition: int
    ) -> Awaitable[object]:
        """Once the batch is queued: what resolves when the broker acknowledges it."""


def partition_of(key: bytes, partitions: Sequence[int]) -> int:
    """Kafka's default partitioner (Java's and aiokafka's) for a non-null key."""
    index: int = (murmur2(key) & 0x7FFFFFFF) % len(partitions)
    return partitions[index]


@dataclass
class _Part:
    """The commands of one partition in a window: one batch, and the requests awaiting its ack."""

    batch: ProduceBatch
    answers: list[asyncio.Future[None]] = field(default_factory=list)


class _LingerWindow:
    """The commands that leave together (those that arrived while the batch before them
    travelled, for at most KAFKA_LINGER_MS), batched per partition."""

    def __init__(self, producer: Producer, partitions: Sequence[int]) -> None:
        self.producer = producer
        self.partitions = partitions
        self.parts: dict[int, _Part] = {}

    def add(
        self, command: TimestampCommand, correlation_id: str, trace: bytes | None
    ) -> "asyncio.Future[None] | None":
        """The future answered with this record's ack; None when its partition's batch is full.
        `trace`: the `traceparent` header's value, when the command is traced."""
        key = command.key()
        partition = partition_of(key, self.partitions)
        part = self.parts.get(partition)
        if part is None:
            part = self.parts[partition] = _Part(self.producer.create_batch())
        headers = [(KAFKA_HEADER, correlation_id.encode())]
        if trace is not None:
            headers.append((TRACE_HEADER, trace))
        if (
            part.batch.append(timestamp=None, key=key, value=command.encode(), headers=headers)
            is None
        ):
            return None
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        part.answers.append(acknowledged)
        return acknowledged


class CommandPublisher:
    def __init__(
        self,
        settings: CommandSettings,
        producer_factory: Callable[[], Producer] | None = None,
    ) -> None:
        self._settings = settings
        self._topic = settings.kafka_publish_topic
        self._ack_timeout = settings.kafka_ack_timeout_s
        self._linger_s = settings.kafka_linger_ms / 1000
        self._producer: Producer | None = None
        self._new_producer: Callable[[], Producer] = producer_factory or self._default_producer
        self._replacing = asyncio.Lock()
        self._background = DetachedTasks()
        self._window: _LingerWindow | None = None
        self._last_send = float("-inf")  # loop time the last batch left
        self._travelling = 0  # batches sent and not yet answered
        self._partitions: list[int] = []  # of the topic, sorted; refreshed by every delivery
        self._outage = OutageClock(settings.retry_after_s)
        self._tracer = tracing.TRACER  # decided once: no span while tracing is off

    def _default_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_kwargs(self._settings, "command"),
            acks="all",
            enable_idempotence=True,
            linger_ms=0,  # batches are formed here, by _LingerWindow; aiokafka need not hold them
            max_batch_size=MAX_BATCH_BYTES,
            request_timeout_ms=int(self._ack_timeout * 1000),
        )

    async def start(self) -> None:
        deadline = asyncio.get_running_loop().time() + self._settings.kafka_startup_timeout_s
        while True:
            producer = self._new_producer()
            try:
                await producer.start()
                self._partitions = sorted(await producer.partitions_for(self._topic))
                self._producer = producer
                _log.info("producer started", topic=self._topic)
                return
            except KafkaError as error:
                await producer.stop()
                if asyncio.get_running_loop().time() > deadline:
                    raise
                _log.warning("kafka not reachable yet; retrying", error=str(error))
                await asyncio.sleep(1)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()  # flushes what is still buffered
            self._producer = None

    async def publish(self, command: TimestampCommand, correlation_id: str) -> None:
        """Return once the broker has the record with acks=all, or raise BrokerUnavailable."""
        if self._tracer is None:
            await self._acknowledged(self._enqueue(command, correlation_id))
            return
        with self._send_span(1) as trace:
            await self._acknowledged(self._enqueue(command, correlation_id, trace))

    async def publish_many(self, commands: Sequence[TimestampCommand], correlation_id: str) -> None:
        """Return once the broker has every record with acks=all, or raise BrokerUnavailable:
        then any subset of them may have landed."""
        if self._tracer is None:
            acknowledged = [self._enqueue(command, correlation_id) for command in commands]
            await self._acknowledged(_all(acknowledged))
            return
        with self._send_span(len(commands)) as trace:
            acknowledged = [self._enqueue(command, correlation_id, trace) for command in commands]
            await self._acknowledged(_all(acknowledged))

    @contextmanager
    def _send_span(self, records: int) -> Iterator[bytes]:
        """The producer span of a publish (from enqueue to ack); gives the `traceparent` its
        records carry, so the consumer's batch span links to it."""
        assert self._tracer is not None
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": self._topic,
            "messaging.batch.message_count": records,
        }
        name = f"send {self._topic}"
        with span(self._tracer, name, SpanKind.PRODUCER, attributes=attributes) as sent:
            yield traceparent(sent).encode()

    def _enqueue(
        self, command: TimestampCommand, correlation_id: str, trace: bytes | None = None
    ) -> "asyncio.Future[None]":
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("producer is not running")
        window = self._window
        acknowledged = None
        if window is not None and window.producer is producer:
            acknowledged = window.add(command, correlation_id, trace)
        if acknowledged is None:
            if window is not None:
                self._send(window)  # full, or its producer was replaced: it goes as it is
            window = self._window = _LingerWindow(producer, self._partitions)
            loop = asyncio.get_running_loop()
            wait = 0.0
            if self._travelling:
                wait = max(0.0, self._last_send + self._linger_s - loop.time())
            loop.call_later(wait, self._send_window, window)
            acknowledged = window.add(command, correlation_id, trace)  # an empty batch takes any
            assert acknowledged is not None
        return acknowledged

    async def _acknowledged(self, acknowledged: Awaitable[None]) -> None:
        try:  # _deliver answers within the ack timeout; this bound only guards against a bug
            async with asyncio.timeout(self._linger_s + self._ack_timeout + 1):
                await acknowledged
        except TimeoutError:
            raise BrokerUnavailable(
                f"no broker acknowledgement within {self._ack_timeout}s"
            ) from None

    def _send_window(self, window: _LingerWindow) -> None:
        if self._window is window:
            self._window = None
            self._send(window)

    def _send(self, window: _LingerWindow) -> None:
        self._last_send = asyncio.get_running_loop().time()
        self._travelling += 1
        self._background.start(self._deliver(window))

    async def _deliver(self, window: _LingerWindow) -> None:
        parts = window.parts.items()
        try:
            await asyncio.gather(
                *(self._deliver_part(window.producer, p, part) for p, part in parts)
            )
        finally:
            self._travelling -= 1
        waiting = self._window
        if waiting is not None and not self._travelling:
            self._send_window(waiting)  # it formed while this one travelled: it goes now
        with suppress(KafkaError, TimeoutError):  # a partition count that grew, for later windows
            async with asyncio.timeout(self._ack_timeout):
                self._partitions = sorted(await window.producer.partitions_for(self._topic))

    async def _deliver_part(self, producer: Producer, partition: int, part: _Part) -> None:
        """Send the batch and answer every request in it, whatever happens."""
        failure: str | None = "the batch was abandoned (shutdown)"
        sent_at = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(self._ack_timeout):
                delivery = await producer.send_batch(part.batch, self._topic, partition=partition)
                await delivery
            failure = None
        except TimeoutError:
            failure = f"no broker acknowledgement within {self._ack_timeout}s"
        except KafkaError as error:
            if isinstance(error, WEDGED):
                self._background.start(self._replace(producer, error))
            failure = f"broker error: {type(error).__name__}"
        except Exception as error:  # noqa: BLE001 - answered as unavailable, and logged
            _log.exception("publishing a batch failed")
            failure = f"publish failed: {type(error).__name__}"
        finally:
            if failure is None:
                self._outage.delivered()
            else:
                self._outage.failed(sent_at)
            _answer(part.answers, failure)

    async def _replace(self, wedged: Producer, error: KafkaError) -> None:
        async with self._replacing:
            if self._producer is not wedged:
                return  # another batch already replaced it
            _log.warning("producer wedged; replacing it", error_type=type(error).__name__)
            fresh = self._new_producer()
            try:
                await fresh.start()
            except KafkaError as failed:
                await fresh.stop()
                _log.warning("replacing the producer failed", error_type=type(failed).__name__)
                return  # the next wedged batch tries again
            self._producer = fresh
        self._background.start(wedged.stop())

    def retry_after_s(self) -> int:
        """What a client refused with 503 should wait before retrying (see retry_after.py)."""
        if self._producer is None:
            return self._settings.retry_after_s  # starting, or stopping
        return self._outage.retry_after_s(asyncio.get_running_loop().time())

    async def ready(self) -> dict[str, object]:
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("producer is not running")
        partitions = await producer.partitions_for(self._topic)
        return {"topic": self._topic, "partitions": len(partitions)}


async def _all(acknowledged: Sequence[asyncio.Future[None]]) -> None:
    """Every ack awaited (none left unretrieved); the first failure raised."""
    for outcome in await asyncio.gather(*acknowledged, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


def _answer(answers: list[asyncio.Future[None]], failure: str | None) -> None:
    for acknowledged in answers:
        if acknowledged.done():  # its request was cancelled meanwhile
            continue
        if failure is None:
            acknowledged.set_result(None)
        else:
            acknowledged.set_exception(BrokerUnavailable(failure))
