"""The producer's lifecycle and the one operation the routes need: publish and await the ack."""

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

from command_service.settings import CommandSettings
from shared.correlation import KAFKA_HEADER
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand

_log = structlog.get_logger("publisher")


class BrokerUnavailable(Exception):
    """Kafka did not acknowledge in time; the command may or may not have landed."""


# After a broker outage the idempotent producer's sequence state can go stale, and every
# later send fails the same way (aiokafka#1017); only a new producer (new producer id) recovers.
WEDGED = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


class CommandPublisher:
    def __init__(
        self,
        settings: CommandSettings,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self._settings = settings
        self._topic = settings.kafka_publish_topic
        self._ack_timeout = settings.kafka_ack_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._new_producer = producer_factory or self._default_producer
        self._replacing = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()

    def _default_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_kwargs(self._settings, "command"),
            acks="all",
            enable_idempotence=True,
            linger_ms=self._settings.kafka_linger_ms,
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
        try:
            async with asyncio.timeout(self._ack_timeout):
                delivery = await producer.send(
                    self._topic,
                    value=command.encode(),
                    key=command.key(),
                    headers=[(KAFKA_HEADER, correlation_id.encode())],
                )
                await asyncio.shield(delivery)
        except TimeoutError:
            raise BrokerUnavailable(
                f"no broker acknowledgement within {self._ack_timeout}s"
            ) from None
        except KafkaError as error:
            if isinstance(error, WEDGED):
                await self._replace(producer, error)
            raise BrokerUnavailable(f"broker error: {type(error).__name__}") from error

    async def _replace(self, wedged: AIOKafkaProducer, error: KafkaError) -> None:
        async with self._replacing:
            if self._producer is not wedged:
                return  # another request already replaced it
            _log.warning("producer wedged; replacing it", error_type=type(error).__name__)
            fresh = self._new_producer()
            await fresh.start()
            self._producer = fresh
        retiring = asyncio.create_task(wedged.stop())
        self._retiring.add(retiring)
        retiring.add_done_callback(self._retiring.discard)

    async def ready(self) -> dict[str, object]:
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("producer is not running")
        partitions = await producer.partitions_for(self._topic)
        return {"topic": self._topic, "partitions": len(partitions)}
