"""The document's examples: a command as the command service writes it, and the dead letter the
consumer really makes of a poison copy of it."""

import json
from datetime import UTC, datetime
from uuid import UUID

from aiokafka.structs import ConsumerRecord

from consumer_service.dead_letters import error_headers
from shared.correlation import KAFKA_HEADER
from shared.kafka import KafkaRecord
from shared.messages import PoisonMessage, TimestampCommand, decode_command
from shared.settings import DEFAULT_TOPIC
from shared.timestamps import EXAMPLE, parse_rfc3339

EXAMPLE_COMMAND = TimestampCommand(
    command_id=UUID("52f2665d-c087-42e5-a571-89061021a37c"),
    event_timestamp=parse_rfc3339(EXAMPLE),
    accepted_at=datetime(2026, 11, 25, 20, 0, 0, 250000, tzinfo=UTC),
)
EXAMPLE_CORRELATION_ID = "0f8e3b2a-6c1d-4e5f-9a7b-3d2c1b0a9e8f"
# A poison record: `event_timestamp` without an offset is not an RFC 3339 date-time.
EXAMPLE_POISON_VALUE = json.dumps(
    {**EXAMPLE_COMMAND.to_json(), "event_timestamp": "2009-09-28T19:03:12"},
    separators=(",", ":"),
).encode()


def example_record(value: bytes) -> KafkaRecord:
    """A record of the command topic with `value`, keyed and headed as the command service does."""
    key = EXAMPLE_COMMAND.key()
    return ConsumerRecord(
        topic=DEFAULT_TOPIC,
        partition=3,
        offset=41217,
        timestamp=1795636800250,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[(KAFKA_HEADER, EXAMPLE_CORRELATION_ID.encode())],
    )


def example_dead_letter_headers() -> list[tuple[str, bytes | None]]:
    """What the consumer really sends for `EXAMPLE_POISON_VALUE`."""
    try:
        decode_command(EXAMPLE_POISON_VALUE)
    except PoisonMessage as error:
        return error_headers(example_record(EXAMPLE_POISON_VALUE), error)
    raise AssertionError("EXAMPLE_POISON_VALUE decodes; it must be poison")
