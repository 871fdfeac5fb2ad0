"""The dead-letter topic as an operator reads it: each record's position, why it is there,
where it came from, and a rendering of its bytes that is safe on a terminal."""

import re
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from consumer_service.dead_letters import PREFIX, REASON, TRUNCATED
from ops.topic_reader import TopicExtent, read_topic, topic_extent
from shared.headers import header_text
from shared.kafka import KafkaRecord
from shared.settings import KafkaSettings

# What the consumer added; the rest are the original record's headers.
_ADDED = (PREFIX, "dlq.")
_PRINTABLE = frozenset(string.printable) - frozenset("\x0b\x0c\r")
_POSITION = re.compile(r"(?:([0-9]+):)?([0-9]+)")


@dataclass(frozen=True)
class Position:
    """A record of the dead-letter topic: `PARTITION:OFFSET`."""

    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.partition}:{self.offset}"


def parse_position(text: str) -> tuple[int | None, int]:
    """`P:O` or a bare `O` (partition to be found). Raises ValueError."""
    match = _POSITION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not OFFSET or PARTITION:OFFSET (e.g. 0:17)")
    partition, offset = match.groups()
    return (None if partition is None else int(partition)), int(offset)


@dataclass(frozen=True)
class DeadLetter:
    record: KafkaRecord

    @property
    def position(self) -> Position:
        return Position(self.record.partition, self.record.offset)

    def header(self, name: str) -> str | None:
        return header_text(self.record.headers, name)

    @property
    def reason(self) -> str:
        return self.header(REASON) or "?"

    @property
    def source(self) -> str:
        where = [self.header(PREFIX + part) or "?" for part in ("topic", "partition", "offset")]
        return "/".join(where)

    @property
    def truncated(self) -> bool:
        return self.header(TRUNCATED) == "true"

    @property
    def size(self) -> int:
        """Of the original value (a truncated copy keeps only part of it)."""
        original = self.header("dlq.original.value.bytes")
        if self.truncated and original is not None and original.isdigit():
            return int(original)
        return len(self.record.value or b"")

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.record.timestamp / 1000, UTC)

    def original_headers(self) -> list[tuple[str, bytes | None]]:
        return [(k, v) for k, v in self.record.headers if not k.startswith(_ADDED)]

    def to_json(self) -> dict[str, object]:
        return {
            "position": str(self.position),
            "partition": self.record.partition,
            "offset": self.record.offset,
            "reason": self.reason,
            "source": self.source,
            "size": self.size,
            "truncated": self.truncated,
            "when": self.when.isoformat().replace("+00:00", "Z"),
        }


def render_bytes(value: bytes | None, limit: int) -> str:
    """Printable text as it is, anything else as hex; at most `limit` bytes of it shown."""
    if value is None:
        return "(null)"
    shown, rest = value[:limit], len(value) - limit
    more = f" … ({rest:,} more bytes)" if rest > 0 else ""
    try:
        text = shown.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and set(text) <= _PRINTABLE:
        return text + more
    return "hex: " + shown.hex(" ") + more


async def dead_letters(
    settings: KafkaSettings, topic: str, reason: str | None = None, since: datetime | None = None
) -> AsyncIterator[DeadLetter]:
    """Every record of `topic` up to its end offsets now, filtered by reason and time."""
    async for records in read_topic(settings, await topic_extent(settings, topic)):
        for record in records:
            letter = DeadLetter(record)
            if reason is not None and letter.reason != reason:
                continue
            if since is not None and letter.when < since:
                continue
            yield letter


async def dead_letter_at(
    settings: KafkaSettings, topic: str, partition: int | None, offset: int
) -> DeadLetter:
    """The record at `offset` (of `partition`, or of the one partition that has it)."""
    extent = await topic_extent(settings, topic)
    holding = [
        tp
        for tp in extent.ends
        if extent.beginnings[tp] <= offset < extent.ends[tp]
        and (partition is None or tp.partition == partition)
    ]
    if not holding:
        raise LookupError(f"{topic} has no record at offset {offset}")
    if len(holding) > 1:
        found = ", ".join(f"{tp.partition}:{offset}" for tp in sorted(holding))
        raise LookupError(f"offset {offset} is in several partitions; name one of {found}")
    (tp,) = holding
    one = TopicExtent({tp: offset}, {tp: offset + 1})
    async for records in read_topic(settings, one):
        return DeadLetter(records[0])
    raise LookupError(f"{topic} has no record at {tp.partition}:{offset}")
