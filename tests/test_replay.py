"""ops/replay.py without a broker: what a lane reads, and the collector settings it runs under."""

import gc
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from consumer_service.settings import ConsumerSettings
from ops.replay import YOUNG_COLLECTION_THRESHOLD, _few_collections, _until_ends

P0, P1, P2 = (TopicPartition("t", partition) for partition in range(3))
Record = ConsumerRecord[bytes, bytes]


def record(tp: TopicPartition, offset: int) -> Record:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, b"v", None, 0, 1, [])


class FakeConsumer:
    """Hands out its partitions' records in polls of at most `max_records`; a partition's
    position moves past offsets without a record (markers) to its log end."""

    def __init__(self, logs: dict[TopicPartition, tuple[list[int], int]]) -> None:
        self.logs = {tp: [record(tp, offset) for offset in logs[tp][0]] for tp in logs}
        self.log_ends = {tp: end for tp, (_, end) in logs.items()}
        self.positions = dict.fromkeys(logs, 0)

    def assignment(self) -> set[TopicPartition]:
        return set(self.logs)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int, max_records: int
    ) -> dict[TopicPartition, Sequence[Record]]:
        polled: dict[TopicPartition, Sequence[Record]] = {}
        for tp in partitions:
            records = [r for r in self.logs[tp] if r.offset >= self.positions[tp]][:max_records]
            if records:
                polled[tp] = records
                rest = [r for r in self.logs[tp] if r.offset > records[-1].offset]
                self.positions[tp] = records[-1].offset + 1 if rest else self.log_ends[tp]
                max_records -= len(records)
            if not max_records:
                break
        return polled

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]


async def test_a_lane_reads_its_partitions_up_to_the_ends_taken_at_the_start() -> None:
    """Records written since the start are left out; a partition whose last offsets hold no
    record (a transaction marker) is done once its position gets there."""
    consumer = FakeConsumer({P0: (list(range(5)), 5), P1: ([0, 1, 2], 4)})
    ends = {P0: 3, P1: 4, P2: 9}
    positions = {P0: 0, P1: 0, P2: 0}
    settings = ConsumerSettings(batch_max_records=2)
    fake: Any = consumer
    polled = [batch async for batch in _until_ends(fake, positions, ends, settings)]
    read = {tp: [r.offset for b in polled for r in b.get(tp, [])] for tp in (P0, P1)}
    assert read == {P0: [0, 1, 2], P1: [0, 1, 2]}
    assert positions[P0] in (3, 4) and positions[P1] == 4 and positions[P2] == 0


def test_the_collector_runs_rarely_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with _few_collections():
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
