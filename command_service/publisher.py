"""The producer's lifecycle and the one operation the routes need: publish and await the ack.

Produce batches leave at most once per KAFKA_LINGER_MS (by default 5 ms, the Java
producer's `linger.ms` default since Kafka 4.0, KIP-1030). A command arriving when the last
batch left longer ago than that goes at the end of the event-loop turn; one arriving sooner
waits for the window to close, and every command arriving meanwhile travels with it. So a
quiet service adds no delay, and a busy one pays for one produce request per window (one
partition lookup, one accumulator entry, one acknowledgement to wait for) instead of
aiokafka's per-message `send` for each command. Every key is a fresh command id that never
repeats, so there is no per-key order that the choice of partition could break: batches go
round-robin over the partitions."""

import asyncio
from collections.abc import Callable

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)
from aiokafka.producer.message_accumulator import BatchBuilder

from command_service.settings import CommandSettings
from shared.background import BackgroundTasks
from shared.correlation import KAFKA_HEADER
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand

_log = structlog.get_logger("publisher")
MAX_BATCH_BYTES = 256 * 1024  # ~1,000 commands; a fuller turn is split over more batches


class BrokerUnavailable(Exception):
    """Kafka did not acknowledge in time; the command may or may not have landed."""


# After a broker outage the idempotent producer's sequence state can go stale, and every
# later send fails the same way (aiokafka#1017); only a new producer (new producer id) recovers.
WEDGED = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


class _Turn:
    """The commands of one linger window: one batch, and the requests awaiting its ack."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.batch: BatchBuilder = producer.create_batch()
        self.answers: list[asyncio.Future[None]] = []

    def add(self, command: TimestampCommand, correlation_id: str) -> bool:
        headers = [(KAFKA_HEADER, correlation_id.encode())]
        added = self.batch.append(
            timestamp=None, key=command.key(), value=command.encode(), headers=headers
        )
        return added is not None


class CommandPublisher:
    def __init__(
        self,
        settings: CommandSettings,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self._settings = settings
        self._topic = settings.kafka_publish_topic
        self._ack_timeout = settings.kafka_ack_timeout_s
        self._linger_s = settings.kafka_linger_ms / 1000
        self._producer: AIOKafkaProducer | None = None
        self._new_producer = producer_factory or self._default_producer
        self._replacing = asyncio.Lock()
        self._background = BackgroundTasks()
        self._turn: _Turn | None = None
        self._last_send = float("-inf")  # loop time the last batch left
        self._next_partition = 0

    def _default_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_kwargs(self._settings, "command"),
            acks="all",
            enable_idempotence=True,
            linger_ms=0,  # batches are formed here, by _Turn; aiokafka need not hold them
            max_batch_size=MAX_BATCH_BYTES,
            request_timeout_ms=int(self._ack_timeout * 1000),
        )

    async def start(self) -> None:
        deadline = asyncio.get_running_loop().time() + self._settings.kafka_startup_timeout_s
        while True:
            producer = self._new_producer()
            try:
                await producer.start()
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
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("producer is not running")
        turn = self._turn
        if turn is None or turn.producer is not producer or not turn.add(command, correlation_id):
            if turn is not None:
                self._send(turn)  # full, or its producer was replaced: it goes as it is
            turn = self._turn = _Turn(producer)
            loop = asyncio.get_running_loop()
            wait = max(0.0, self._last_send + self._linger_s - loop.time())
            loop.call_later(wait, self._send_turn, turn)
            turn.add(command, correlation_id)  # an empty batch takes any one record
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn.answers.append(acknowledged)
        try:  # _deliver answers within the ack timeout; this bound only guards against a bug
            async with asyncio.timeout(self._linger_s + self._ack_timeout + 1):
                await acknowledged
        except TimeoutError:
            raise BrokerUnavailable(
                f"no broker acknowledgement within {self._ack_timeout}s"
            ) from None

    def _send_turn(self, turn: _Turn) -> None:
        if self._turn is turn:
            self._turn = None
            self._send(turn)

    def _send(self, turn: _Turn) -> None:
        self._last_send = asyncio.get_running_loop().time()
        self._background.start(self._deliver(turn))

    async def _deliver(self, turn: _Turn) -> None:
        """Send the batch and answer every request in it, whatever happens."""
        failure: str | None = "the batch was abandoned (shutdown)"
        try:
            async with asyncio.timeout(self._ack_timeout):
                partition = await self._partition(turn.producer)
                delivery = await turn.producer.send_batch(
                    turn.batch, self._topic, partition=partition
                )
                await delivery
            failure = None
        except TimeoutError:
            failure = f"no broker acknowledgement within {self._ack_timeout}s"
        except KafkaError as error:
            if isinstance(error, WEDGED):
                self._background.start(self._replace(turn.producer, error))
            failure = f"broker error: {type(error).__name__}"
        except Exception as error:  # noqa: BLE001 - answered as unavailable, and logged
            _log.exception("publishing a batch failed")
            failure = f"publish failed: {type(error).__name__}"
        finally:
            _answer(turn.answers, failure)

    async def _partition(self, producer: AIOKafkaProducer) -> int:
        partitions: list[int] = sorted(await producer.partitions_for(self._topic))
        self._next_partition = (self._next_partition + 1) % len(partitions)
        return partitions[self._next_partition]

    async def _replace(self, wedged: AIOKafkaProducer, error: KafkaError) -> None:
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

    async def ready(self) -> dict[str, object]:
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("producer is not running")
        partitions = await producer.partitions_for(self._topic)
        return {"topic": self._topic, "partitions": len(partitions)}


def _answer(answers: list[asyncio.Future[None]], failure: str | None) -> None:
    for acknowledged in answers:
        if acknowledged.done():  # its request was cancelled meanwhile
            continue
        if failure is None:
            acknowledged.set_result(None)
        else:
            acknowledged.set_exception(BrokerUnavailable(failure))
