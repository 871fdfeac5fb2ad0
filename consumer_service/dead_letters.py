"""Records that can never be applied go to `<topic>.dlq` with Kafka Connect-style headers."""

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from shared.kafka import dead_letter_topic

PREFIX = "__connect.errors."


def error_headers(
    record: ConsumerRecord[bytes, bytes], error: Exception
) -> list[tuple[str, bytes]]:
    why = {
        "topic": record.topic,
        "partition": str(record.partition),
        "offset": str(record.offset),
        "exception.class.name": f"{type(error).__module__}.{type(error).__qualname__}",
        "exception.message": str(error)[:1000],
        "stage": "VALUE_CONVERTER",
    }
    return [*record.headers, *((PREFIX + key, value.encode()) for key, value in why.items())]


class DeadLetters:
    """Without a producer (a replay), poison is only counted: the service dead-lettered it
    when it first consumed the record, and a second copy would be a duplicate."""

    def __init__(self, producer: AIOKafkaProducer | None, source_topic: str) -> None:
        self._producer = producer
        self.topic = dead_letter_topic(source_topic)

    async def send(self, record: ConsumerRecord[bytes, bytes], error: Exception) -> None:
        """Return once the DLQ record is acknowledged (acks=all)."""
        if self._producer is None:
            return
        delivery = await self._producer.send(
            self.topic,
            key=record.key,
            value=record.value,
            headers=error_headers(record, error),
        )
        await delivery
