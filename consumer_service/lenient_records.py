"""A record whose header name is not UTF-8 is read, not fatal.

aiokafka's record parsers (the C `_crecords` and the pure-Python one alike) decode header names
with strict UTF-8, so such a record raises `UnicodeDecodeError` out of `getmany()`, for good:
the fetcher keeps its position before it and every fetch raises again. Kafka itself does not
check header names, so any producer can write one.

`install()` swaps the `MemoryRecords` the fetcher parses each fetch response with: the C
parser still reads every batch; only a batch it refuses is read again here, in Python, from its
raw bytes, with such a name kept as an `UndecodableName`. The fetcher skips the records of that
batch it already handed out (its `offset < next_fetch_offset` check), so each record is
delivered once, and the consumer dead-letters the one with the undecodable name.

Written against aiokafka 0.14.0 (`aiokafka.consumer.fetcher.MemoryRecords` looked up per fetch,
`PartitionRecords._unpack_records`, `_DefaultRecordBatchPy`'s `_buffer`/`_pos`/`_num_records`);
tests/test_lenient_records.py fails if those change shape.
"""

from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple

from aiokafka.consumer import fetcher
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import DefaultRecordBase, _DefaultRecordBatchPy
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.record.util import decode_varint

LOG_OVERHEAD = 12  # a batch's base offset (int64) and length (int32), before what it counts


class UndecodableName(str):
    """A header name that is not UTF-8: its bytes with backslash escapes, and `raw`."""

    raw: bytes
    made: ClassVar[bool] = False  # in this process: until one is, no header name is one

    def __new__(cls, raw: bytes) -> "UndecodableName":
        name = super().__new__(cls, raw.decode("utf-8", "backslashreplace"))
        name.raw = raw
        UndecodableName.made = True
        return name


def undecodable_names_read() -> bool:
    """Whether any header name read so far was not UTF-8: until one is, none is to look for."""
    return UndecodableName.made


class LenientRecord(NamedTuple):
    """What the fetcher reads of a record (aiokafka's `DefaultRecord` protocol)."""

    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    checksum: None = None


def undecodable_header(headers: Any) -> UndecodableName | None:
    """The first header name that was not UTF-8, if any."""
    for name, _ in headers:
        if type(name) is UndecodableName:
            return name
    return None


def _name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return UndecodableName(raw)


def lenient_records(raw: bytes | memoryview) -> Iterator[LenientRecord]:
    """Every record of one v2 batch (its raw bytes, compressed or not)."""
    batch = _DefaultRecordBatchPy(raw)
    iter(batch)  # decompresses
    buffer, pos = batch._buffer, batch._pos
    log_append = batch.timestamp_type == DefaultRecordBase.LOG_APPEND_TIME
    try:
        for _ in range(batch._num_records):
            length, pos = decode_varint(buffer, pos)
            start = pos
            _, pos = decode_varint(buffer, pos)  # attributes: unused
            timestamp_delta, pos = decode_varint(buffer, pos)
            offset_delta, pos = decode_varint(buffer, pos)
            key, pos = _nullable(buffer, pos)
            value, pos = _nullable(buffer, pos)
            count, pos = decode_varint(buffer, pos)
            headers: list[tuple[str, bytes | None]] = []
            for _ in range(count):
                name, pos = _nullable(buffer, pos)
                header, pos = _nullable(buffer, pos)
                headers.append((_name(name or b""), header))
            if pos - start != length:
                raise CorruptRecordException(f"a record of {length} bytes read as {pos - start}")
            timestamp = (
                batch.max_timestamp if log_append else batch.first_timestamp + timestamp_delta
            )
            offset = batch.base_offset + offset_delta
            yield LenientRecord(offset, timestamp, batch.timestamp_type, key, value, headers)
    except (ValueError, IndexError) as error:
        raise CorruptRecordException(f"invalid record structure: {error!r}") from error


def _nullable(buffer: bytearray, pos: int) -> tuple[bytes | None, int]:
    size, pos = decode_varint(buffer, pos)
    if size < 0:
        return None, pos
    return bytes(buffer[pos : pos + size]), pos + size


class _Batch:
    """One batch as the C parser reads it; if it raises on a header name, the batch is read
    again leniently, from its first record (the fetcher drops the ones it already has)."""

    __slots__ = ("_batch", "_raw")

    def __init__(self, batch: Any, raw: memoryview) -> None:
        self._batch = batch
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self._batch, name)

    def __next__(self) -> Any:  # a control batch is read with next()
        return next(self._batch)

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._batch
        except UnicodeDecodeError:
            yield from lenient_records(self._raw)


class LenientMemoryRecords:
    """aiokafka's (C) `MemoryRecords`, handing out each batch with its raw bytes."""

    __slots__ = ("_pos", "_records", "_view")

    def __init__(self, data: bytes) -> None:
        self._records = MemoryRecords(data)
        self._view = memoryview(data)
        self._pos = 0

    def size_in_bytes(self) -> int:
        return self._records.size_in_bytes()

    def has_next(self) -> bool:
        return self._records.has_next()

    def next_batch(self) -> _Batch | None:
        batch = self._records.next_batch()
        if batch is None:
            return None
        start = self._pos
        size = int.from_bytes(self._view[start + 8 : start + LOG_OVERHEAD], "big", signed=True)
        self._pos = start + LOG_OVERHEAD + size
        return _Batch(batch, self._view[start : self._pos])


def install() -> None:
    """Every consumer of this process reads fetch responses leniently from its next fetch."""
    fetcher.MemoryRecords = LenientMemoryRecords  # type: ignore[attr-defined,assignment]
