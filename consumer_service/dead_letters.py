"""Records that can never be applied go to `<topic>.dlq` with Kafka Connect-style headers.

A send that fails is classified: a record too large for the DLQ (or one the producer cannot
encode) goes as a truncated copy marked as such; anything else raises `DeadLetterFailed`,
transient (retry it) or not (the DLQ cannot be written: stop the partition)."""

from collections.abc import Awaitable
from typing import Protocol

from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from shared.headers import Headers, headers_size
from shared.kafka import KafkaRecord, dead_letter_topic
from shared.messages import PoisonMessage

PREFIX = "__connect.errors."
REASON = "dlq.reason"
TRUNCATED = "dlq.truncated"
ORIGINAL_KEY_BYTES = "dlq.original.key.bytes"
ORIGINAL_VALUE_BYTES = "dlq.original.value.bytes"
ORIGINAL_HEADERS_BYTES = "dlq.original.headers.bytes"
KEEP_VALUE_BYTES = 64 * 1024  # of a value too large for the DLQ, kept in its truncated copy
KEEP_KEY_BYTES = 1024
KEEP_HEADER_BYTES = 1024  # per original header value, at most KEEP_HEADERS of them
KEEP_HEADERS = 64

_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)
_STOPPED = {
    UnknownTopicOrPartitionError: "dlq topic missing",
    InvalidTopicError: "dlq topic invalid",
    TopicAuthorizationFailedError: "dlq write not authorised",
    ClusterAuthorizationFailedError: "dlq write not authorised",
}


class Producer(Protocol):
    """What the dead letters need of a Kafka producer (AIOKafkaProducer)."""

    async def send(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes | None]],
    ) -> Awaitable[object]:
        """Once the record is queued: what resolves when the broker acknowledges it."""


class DeadLetterFailed(Exception):
    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.transient, self.reason = classify(error)
        super().__init__(f"{self.reason}: {type(error).__name__}: {_text(error)}")


def classify(error: BaseException) -> tuple[bool, str]:
    """(transient, reason). Transient: the broker is unreachable, a leader moves, a timeout.
    The rest will not pass by retrying soon: a missing or forbidden DLQ, or a record the DLQ
    refuses even truncated."""
    for kind, reason in _STOPPED.items():
        if isinstance(error, kind):
            return False, reason
    if isinstance(error, _TOO_LARGE):
        return False, "dlq refuses the record even truncated"
    if isinstance(error, KafkaError | TimeoutError | OSError):
        return True, f"dlq unavailable ({type(error).__name__})"
    return False, f"dlq send failed ({type(error).__name__})"


def reason_of(error: Exception) -> str:
    return error.reason if isinstance(error, PoisonMessage) else "internal_error"


def _text(error: BaseException) -> str:
    try:
        return str(error)[:1000]
    except Exception:  # noqa: BLE001 - an exception whose __str__ fails still gets a DLQ record
        return "<unprintable>"


def error_headers(record: KafkaRecord, error: Exception) -> list[tuple[str, bytes | None]]:
    """The original headers, unchanged and first, then why and where it came from."""
    return [*record.headers, *_why(record, error)]


def _why(record: KafkaRecord, error: Exception) -> list[tuple[str, bytes]]:
    why = {
        "topic": record.topic,
        "partition": str(record.partition),
        "offset": str(record.offset),
        "exception.class.name": f"{type(error).__module__}.{type(error).__qualname__}",
        "exception.message": _text(error),
        "stage": "VALUE_CONVERTER",
    }
    headers = [(PREFIX + key, value.encode("utf-8", "replace")) for key, value in why.items()]
    return [*headers, (REASON, reason_of(error).encode())]


def truncated_headers(record: KafkaRecord) -> list[tuple[str, bytes | None]]:
    kept: list[tuple[str, bytes | None]] = [
        (str(name)[:256], None if value is None else bytes(value[:KEEP_HEADER_BYTES]))
        for name, value in list(record.headers)[:KEEP_HEADERS]
    ]
    size = {
        ORIGINAL_KEY_BYTES: len(record.key or b""),
        ORIGINAL_VALUE_BYTES: len(record.value or b""),
        ORIGINAL_HEADERS_BYTES: headers_size(record.headers),
    }
    return [*kept, (TRUNCATED, b"true"), *((k, str(v).encode()) for k, v in size.items())]


class DeadLetters:
    """Without a producer (a replay), poison is only counted: the service dead-lettered it
    when it first consumed the record, and a second copy would be a duplicate."""

    def __init__(self, producer: Producer | None, source_topic: str) -> None:
        self._producer = producer
        self.topic = dead_letter_topic(source_topic)

    async def send(self, record: KafkaRecord, error: Exception) -> bool:
        """Return once the DLQ record is acknowledged (acks=all): True when it went as a
        truncated copy. Raises `DeadLetterFailed`."""
        if self._producer is None:
            return False
        try:
            await self._publish(record.key, record.value, error_headers(record, error))
            return False
        except KafkaError as failure:
            if not isinstance(failure, _TOO_LARGE):
                raise DeadLetterFailed(failure) from failure
        except Exception:  # noqa: BLE001 - the producer could not encode it: truncate
            pass
        key, value = record.key, record.value
        try:
            await self._publish(
                None if key is None else bytes(key[:KEEP_KEY_BYTES]),
                None if value is None else bytes(value[:KEEP_VALUE_BYTES]),
                [*truncated_headers(record), *_why(record, error)],
            )
        except Exception as failure:  # classified by the caller
            raise DeadLetterFailed(failure) from failure
        return True

    async def _publish(self, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        assert self._producer is not None
        if key is None and value is None:
            value = b""  # aiokafka wants one of the two; a tombstone is dead-lettered as empty
        delivery = await self._producer.send(
            self.topic, key=key, value=value, headers=list(headers)
        )
        await delivery
