"""consumer_service/dead_letters.py with a fake producer: how a failed send is classified."""

from collections.abc import Awaitable
from typing import TypedDict

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    MessageSizeTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from aiokafka.structs import ConsumerRecord

from consumer_service.dead_letters import (
    KEEP_VALUE_BYTES,
    ORIGINAL_HEADERS_BYTES,
    ORIGINAL_VALUE_BYTES,
    REASON,
    TRUNCATED,
    DeadLetterFailed,
    DeadLetters,
)
from shared.headers import Headers, header_text
from shared.messages import NotJson
from tests.kafka_headers import as_consumed

VALUE = b"x" * 2_000_000


def record(headers: Headers) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t", 2, 77, 0, 0, None, VALUE, None, 0, len(VALUE), as_consumed(headers))


class Sent(TypedDict):
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


class FakeProducer:
    """Refuses what is over `limit` bytes of value, or everything with `error`."""

    def __init__(self, error: Exception | None = None, limit: int = 1_000_000) -> None:
        self.error, self.limit = error, limit
        self.sent: list[Sent] = []

    async def send(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes | None]],
    ) -> Awaitable[None]:
        if self.error is not None:
            raise self.error
        if len(value or b"") > self.limit:
            raise MessageSizeTooLargeError()
        self.sent.append(Sent(key=key, value=value, headers=headers))

        async def acked() -> None:
            return None

        return acked()


async def test_a_record_too_large_goes_as_a_truncated_copy_saying_so() -> None:
    producer = FakeProducer()
    dlq = DeadLetters(producer, "t")
    assert await dlq.send(record([("correlationId", None)]), NotJson("no")) is True
    [sent] = producer.sent
    headers = dict(sent["headers"])
    assert sent["value"] is not None
    assert len(sent["value"]) == KEEP_VALUE_BYTES and headers[TRUNCATED] == b"true"
    assert headers[ORIGINAL_VALUE_BYTES] == str(len(VALUE)).encode()
    assert headers[REASON] == b"not_json" and headers["correlationId"] is None


@pytest.mark.parametrize(
    ("error", "transient", "reason"),
    [
        (KafkaConnectionError(), True, "dlq unavailable (KafkaConnectionError)"),
        (TimeoutError(), True, "dlq unavailable (TimeoutError)"),
        (UnknownTopicOrPartitionError(), False, "dlq topic missing"),
        (TopicAuthorizationFailedError(), False, "dlq write not authorised"),
    ],
)
async def test_a_failed_send_is_classified(error: Exception, transient: bool, reason: str) -> None:
    dlq = DeadLetters(FakeProducer(error), "t")
    with pytest.raises(DeadLetterFailed) as failed:
        await dlq.send(record([]), NotJson("no"))
    assert (failed.value.transient, failed.value.reason) == (transient, reason)


def test_header_text_never_raises() -> None:
    assert header_text([("correlationId", None)], "correlationId") is None
    assert header_text([("correlationId", b"\xff")], "correlationId") == "\ufffd"
    assert header_text([("a", b"1"), ("a", b"2")], "a") == "1"
    assert header_text(None, "a") is None
    assert header_text([("a", b"y" * 10_000)], "a") == "y" * 200


async def test_the_truncated_copy_gives_the_original_headers_size_in_bytes() -> None:
    producer = FakeProducer()
    dlq = DeadLetters(producer, "t")
    assert await dlq.send(record([("\u00e9\u4e2d", b"12"), ("k", None)]), NotJson("no"))
    [sent] = producer.sent
    assert dict(sent["headers"])[ORIGINAL_HEADERS_BYTES] == b"8", "5 + 2 + 1 bytes"
