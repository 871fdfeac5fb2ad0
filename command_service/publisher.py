"""The producer's lifecycle and the one operation the routes need: publish and await the ack."""

import asyncio

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from command_service.settings import CommandSettings
from shared.correlation import KAFKA_HEADER
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand

_log = structlog.get_logger("publisher")


class BrokerUnavailable(Exception):
    """Kafka did not acknowledge in time; the command may or may not have landed."""


class CommandPublisher:
    def __init__(self, settings: CommandSettings) -> None:
        self._settings = settings
        self._topic = settings.kafka_publish_topic
        self._ack_timeout = settings.kafka_ack_timeout_s
        self._producer: AIOKafkaProducer | None = None

    def _new_producer(self) -> AIOKafkaProducer:
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
            raise BrokerUnavailable(f"broker error: {type(error).__name__}") from error

    async def ready(self) -> dict[str, object]:
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("producer is not running")
        partitions = await producer.partitions_for(self._topic)
        return {"topic": self._topic, "partitions": len(partitions)}
