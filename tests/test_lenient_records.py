"""consumer_service/lenient_records.py against aiokafka's own fetcher classes: a header name that
is not UTF-8 is read, each record once. These fail if the aiokafka internals it leans on change."""

import inspect

import pytest
from aiokafka.consumer import fetcher
from aiokafka.consumer.fetcher import PartitionRecords
from aiokafka.errors import CorruptRecordException
from aiokafka.record._crecords import DefaultRecordBatch as CDefaultRecordBatch
from aiokafka.record.default_records import DefaultRecordBase, _DefaultRecordBatchBuilderPy
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import TopicPartition

from consumer_service.lenient_records import (
    LenientMemoryRecords,
    UndecodableName,
    lenient_records,
    undecodable_header,
    undecodable_names_read,
)
from tests.raw_names import RawHeaderName

BAD = b"\xff\xfetrace"
GZIP = DefaultRecordBase.CODEC_GZIP


def batch(base: int, count: int, bad: set[int], codec: int = 0) -> bytes:
    builder = _DefaultRecordBatchBuilderPy(2, codec, 0, -1, -1, -1, 1 << 20)
    for i in range(count):
        name = RawHeaderName(BAD) if i in bad else "correlationId"
        builder.append(i, 1000 + i, None, b"v%d" % (base + i), [("a", None), (name, b"h")])
    data = bytearray(builder.build())
    data[:8] = base.to_bytes(8, "big")  # the broker's base offset: outside the CRC
    return bytes(data)


def fetched(data: bytes, fetch_offset: int = 0) -> list[tuple[int, bytes | None, bool]]:
    tp = TopicPartition("t", 0)
    records = PartitionRecords(
        tp, LenientMemoryRecords(data), None, fetch_offset, None, None, True, 0
    )
    return [(r.offset, r.value, undecodable_header(r.headers) is not None) for r in records]


def test_aiokafkas_parser_still_refuses_such_a_name() -> None:
    """When it stops raising, lenient_records.py can go."""
    (parsed,) = [MemoryRecords(batch(0, 1, {0})).next_batch()]
    assert parsed is not None
    with pytest.raises(UnicodeDecodeError):
        list(parsed)


def test_the_fetcher_still_reads_the_way_the_patch_assumes() -> None:
    assert "records = MemoryRecords(part_data[-1])" in inspect.getsource(fetcher)
    unpack = inspect.getsource(PartitionRecords._unpack_records)
    assert "for record in next_batch:" in unpack
    assert "if record.offset < self.next_fetch_offset:" in unpack
    assert "self.next_fetch_offset = record.offset + 1\n" in unpack
    assert unpack.index("self.next_fetch_offset = record.offset + 1") < unpack.index("yield")
    consumer_record = inspect.getsource(PartitionRecords._consumer_record)
    for field in ("offset", "timestamp", "timestamp_type", "key", "value", "checksum", "headers"):
        assert f"record.{field}" in consumer_record


@pytest.mark.parametrize("codec", [0, GZIP])
def test_each_record_once_in_order_the_bad_ones_marked(codec: int) -> None:
    data = batch(0, 4, {1}, codec) + batch(4, 3, set(), codec) + batch(7, 3, {0, 2}, codec)
    assert fetched(data) == [(offset, b"v%d" % offset, offset in {1, 7, 9}) for offset in range(10)]


def test_from_a_fetch_offset_inside_a_batch() -> None:
    assert fetched(batch(0, 5, {3}), fetch_offset=2) == [
        (2, b"v2", False),
        (3, b"v3", True),
        (4, b"v4", False),
    ]


def test_clean_batches_stay_on_the_c_parser() -> None:
    records = LenientMemoryRecords(batch(0, 2, set()) + batch(2, 2, set()))
    parsed = [records.next_batch(), records.next_batch(), records.next_batch()]
    assert [type(getattr(b, "_batch", None)) for b in parsed] == [
        CDefaultRecordBatch,
        CDefaultRecordBatch,
        type(None),
    ]


def test_the_lenient_reading_matches_aiokafkas() -> None:
    """Timestamps, keys, null header values: as aiokafka reads a clean batch."""
    data = batch(0, 3, set(), GZIP)
    reference = MemoryRecords(data).next_batch()
    assert reference is not None
    expected = [
        (r.offset, r.timestamp, r.timestamp_type, r.key, r.value, r.headers) for r in reference
    ]
    assert [tuple(r)[:6] for r in lenient_records(data)] == expected


def test_the_name_keeps_its_bytes_and_is_printable() -> None:
    (record,) = lenient_records(batch(0, 1, {0}))
    name = undecodable_header(record.headers)
    assert isinstance(name, UndecodableName) and name.raw == BAD
    assert name == "\\xff\\xfetrace" and name.encode() == b"\\xff\\xfetrace"


def test_the_process_remembers_having_read_such_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until then the consumer does not look at header names at all."""
    monkeypatch.setattr(UndecodableName, "made", False)
    fetched(batch(0, 2, set()))
    assert not undecodable_names_read()
    fetched(batch(0, 2, {1}))
    assert undecodable_names_read()


def test_a_corrupt_batch_is_a_corrupt_record() -> None:
    data = bytearray(batch(0, 1, {0}))
    data[-2] = 0x7F  # the last header value's length: past the end of the record
    with pytest.raises(CorruptRecordException):
        list(lenient_records(bytes(data)))
