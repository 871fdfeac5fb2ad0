"""consumer_service/loop.py with a fake consumer, sink and DLQ: a dead letter that cannot be sent
holds back only its own partition, and no committed offset passes it until it is sent."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence

import pytest
import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError, UnknownTopicOrPartitionError
from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry

from consumer_service import loop as loop_module
from consumer_service.dead_letters import DeadLetterFailed
from consumer_service.lenient_records import UndecodableName
from consumer_service.loop import CHUNK, Batch, ConsumeLoop
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings
from shared.kafka import KafkaRecord
from shared.messages import Row, decode_row
from tests.unused_database import UnusedPool

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)
ID = "6b1d4a1e-7a6c-4c2e-9a51-0f8b8d7c1a01"


def command(offset: int, moment: str = "2001-02-03T04:05:06Z") -> bytes:
    return (
        f'{{"command_id":"{ID[:-4]}{offset:04d}","event_timestamp":"{moment}",'
        f'"accepted_at":"2001-02-03T04:05:06Z"}}'
    ).encode()


def record(tp: TopicPartition, offset: int, value: bytes) -> KafkaRecord:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, value, None, 0, 0, [])


class FakeConsumer:
    def __init__(self) -> None:
        self.assigned = {P0, P1}
        self.paused: set[TopicPartition] = set()
        self.positions: dict[TopicPartition, int] = {}
        self.commits: list[dict[TopicPartition, int]] = []
        self.resumed: list[TopicPartition] = []

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int, max_records: int
    ) -> dict[TopicPartition, list[KafkaRecord]]:
        return {}  # nothing is polled: the tests feed batches to run_pipelined

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        assert tp in self.assigned, "seek on a partition not assigned raises IllegalStateError"
        self.positions[tp] = offset

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.resumed += [tp for tp in tps if tp in self.paused]
        self.paused -= set(tps)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    def committed(self, tp: TopicPartition) -> int | None:
        done = [c[tp] for c in self.commits if tp in c]
        return done[-1] if done else None


class FakeDeadLetters:
    topic = "t.dlq"

    def __init__(self) -> None:
        self.failure: Exception | None = None
        self.sent: list[tuple[int, int, str]] = []
        self.attempts = 0
        self.on_attempt: Callable[[], None] | None = None

    async def send(self, record: KafkaRecord, error: Exception) -> bool:
        self.attempts += 1
        if self.on_attempt is not None:
            self.on_attempt()
        await asyncio.sleep(0)
        if self.failure is not None:
            raise DeadLetterFailed(self.failure)
        self.sent.append((record.partition, record.offset, type(error).__name__))
        return False


class FakeSink:
    """The first payload of an id wins; a later one with another event timestamp conflicts."""

    def __init__(self) -> None:
        self.rows: dict[bytes, bytes] = {}

    async def __call__(self, pool: object, rows: Sequence[Row]) -> tuple[int, list[int]]:
        inserted, conflicts = 0, []
        for index, (key, moment, _) in enumerate(rows):
            if key not in self.rows:
                self.rows[key], inserted = moment, inserted + 1
            elif self.rows[key] != moment:
                conflicts.append(index)
        return inserted, conflicts


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> FakeSink:
    fake = FakeSink()
    monkeypatch.setattr(loop_module, "apply_batch", fake)
    return fake


def new_loop(consumer: FakeConsumer, dlq: FakeDeadLetters) -> ConsumeLoop:
    settings = ConsumerSettings(retry_initial_s=0.01, retry_max_s=0.02)
    metrics = ConsumerMetrics(CollectorRegistry())
    return ConsumeLoop(consumer, UnusedPool(), dlq, settings, metrics)


async def feed(batches: "asyncio.Queue[Batch | None]") -> AsyncIterator[Batch]:
    while (batch := await batches.get()) is not None:
        yield batch


async def until(condition: Callable[[], bool], what: str, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def started(
    consumer: FakeConsumer, dlq: FakeDeadLetters
) -> tuple[ConsumeLoop, "asyncio.Queue[Batch | None]", "asyncio.Task[None]"]:
    """A running loop whose partition 0 already holds command 1 at offset 0, committed."""
    loop = new_loop(consumer, dlq)
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    running = asyncio.create_task(loop.run_pipelined(feed(batches)))
    await batches.put({P0: [record(P0, 0, command(1))]})
    await until(lambda: consumer.committed(P0) == 1, "the first batch committed")
    return loop, batches, running


async def test_a_conflict_the_dlq_refuses_holds_only_its_partition(sink: FakeSink) -> None:
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop, batches, running = await started(consumer, dlq)
    await batches.put({P1: [record(P1, 0, command(2))]})

    dlq.failure = UnknownTopicOrPartitionError()  # the DLQ is gone
    conflict = record(P0, 1, command(1, "2009-09-28T19:03:12Z"))
    behind = record(P0, 2, command(3))
    await batches.put({P0: [conflict, behind], P1: [record(P1, 1, command(4))]})
    await until(lambda: consumer.committed(P1) == 2, "the other partition goes on")
    await batches.put({P1: [record(P1, 2, command(5))]})
    await until(lambda: consumer.committed(P1) == 3, "and on")
    assert max(c.get(P0, 0) for c in consumer.commits) <= 1, "nothing passes the conflict"
    assert P0 in consumer.paused and P1 not in consumer.paused
    assert P0 in loop.progress.stopped and "missing" in loop.progress.stopped[P0]

    dlq.failure = None  # the DLQ is back
    await until(lambda: consumer.committed(P0) == 3, "the partition committed past it")
    assert dlq.sent == [(0, 1, "Conflict")]
    assert P0 not in consumer.paused and not loop.progress.paused
    await batches.put(None)
    await running


async def test_a_transient_conflict_failure_is_retried_without_blocking(sink: FakeSink) -> None:
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop, batches, running = await started(consumer, dlq)
    dlq.failure = KafkaConnectionError()
    await batches.put({P0: [record(P0, 1, command(1, "2009-09-28T19:03:12Z"))]})
    await until(lambda: dlq.attempts >= 3, "retried")
    assert P0 in loop.progress.paused and not loop.progress.stopped
    await batches.put({P1: [record(P1, 0, command(2))]})
    await until(lambda: consumer.committed(P1) == 1, "the other partition goes on")
    dlq.failure = None
    await until(lambda: consumer.committed(P0) == 2, "committed once sent")
    await batches.put(None)
    await running


async def test_a_blocked_partition_revoked_meanwhile_is_left_to_its_new_owner(
    sink: FakeSink,
) -> None:
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop = new_loop(consumer, dlq)
    dlq.failure = UnknownTopicOrPartitionError()

    def revoke() -> None:  # the group rebalances while the first dead letter is tried
        if P0 in consumer.assigned:
            consumer.assigned.discard(P0)
            loop.partitions_revoked({P0})

    dlq.on_attempt = revoke
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    running = asyncio.create_task(loop.run_pipelined(feed(batches)))
    await batches.put({P0: [record(P0, 0, b"junk")], P1: [record(P1, 0, command(2))]})
    await until(lambda: consumer.committed(P1) == 1, "the other partition goes on")
    attempts = dlq.attempts
    await asyncio.sleep(0.1)  # several retry periods: nothing may retry for a partition gone
    assert dlq.attempts == attempts, "a dead letter retried for a partition revoked from us"
    assert not loop.progress.stopped, "/ready names a partition this consumer does not own"
    await batches.put(None)
    await running


async def test_a_batch_polled_before_a_revoke_commits_nothing_after_it(
    sink: FakeSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revoked and assigned back while a batch is in flight: its offsets belong to the old
    assignment; the new one redelivers from the committed offset, so a conflict whose hold
    the revoke dropped is found again instead of passed."""
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop, batches, running = await started(consumer, dlq)
    dlq.failure = KafkaConnectionError()
    await batches.put({P0: [record(P0, 1, command(1, "2009-09-28T19:03:12Z"))]})
    await until(lambda: dlq.attempts >= 2, "the conflict's dead letter retried")
    blocked = asyncio.Event()
    original = sink.__call__

    async def slow(pool: object, rows: Sequence[Row]) -> tuple[int, list[int]]:
        await blocked.wait()
        return await original(pool, rows)

    monkeypatch.setattr(loop_module, "apply_batch", slow)
    await batches.put({P0: [record(P0, 2, command(3))]})
    await asyncio.sleep(0.05)
    loop.partitions_revoked({P0})  # and assigned back at once: the same consumer keeps it
    blocked.set()
    await asyncio.sleep(0.1)
    dlq.failure = None
    await asyncio.sleep(0.1)
    await batches.put(None)
    await running
    assert max(c.get(P0, 0) for c in consumer.commits) <= 1, "a stale batch's offset committed"


async def test_a_conflict_sent_does_not_resume_a_partition_still_blocked_on_poison(
    sink: FakeSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop = new_loop(consumer, dlq)
    junk_fails = KafkaConnectionError()

    async def send(record: KafkaRecord, error: Exception) -> bool:  # the conflict goes at once
        dlq.attempts += 1
        if record.value == b"junk":
            await asyncio.sleep(0)
            raise DeadLetterFailed(junk_fails)
        dlq.sent.append((record.partition, record.offset, type(error).__name__))
        return False

    monkeypatch.setattr(dlq, "send", send)
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    running = asyncio.create_task(loop.run_pipelined(feed(batches)))
    await batches.put({P0: [record(P0, 0, command(1))]})
    await until(lambda: consumer.committed(P0) == 1, "the first batch committed")
    gate = asyncio.Event()

    async def gated(pool: object, rows: Sequence[Row]) -> tuple[int, list[int]]:
        await gate.wait()
        return await sink(pool, rows)

    monkeypatch.setattr(loop_module, "apply_batch", gated)
    await batches.put({P0: [record(P0, 1, command(1, "2009-09-28T19:03:12Z"))]})  # applying
    await batches.put({P0: [record(P0, 2, b"junk")]})  # queued, its partition blocked
    await batches.put({P1: [record(P1, 0, command(2))]})  # polled once there is room
    await until(lambda: P0 in consumer.paused, "the poison paused its partition")
    gate.set()
    await until(lambda: (0, 1, "Conflict") in dlq.sent, "the conflict dead-lettered")
    await asyncio.sleep(0.05)
    assert P0 in consumer.paused and P0 not in consumer.resumed, "resumed, its poison unsent"
    assert consumer.positions[P0] == 2
    assert max(c.get(P0, 0) for c in consumer.commits) <= 2
    await batches.put(None)
    await running


async def test_a_conflict_in_the_last_batch_is_committed_past_at_the_end(sink: FakeSink) -> None:
    """A replay ends with its last batch: the final commit waits for the conflict's dead
    letter, else the group would stay before it and the service dead-letter it a second time."""
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop, batches, running = await started(consumer, dlq)
    await batches.put({P0: [record(P0, 1, command(1, "2009-09-28T19:03:12Z"))]})
    await batches.put(None)
    await running
    assert consumer.committed(P0) == 2 and dlq.sent == [(0, 1, "Conflict")]


@pytest.mark.parametrize(
    ("level", "names_read"),
    [(logging.INFO, False), (logging.INFO, True), (logging.DEBUG, False)],
    ids=["all names UTF-8", "one name was not", "each command logged"],
)
async def test_poison_among_many_records_is_dead_lettered_and_the_rest_kept_in_order(
    monkeypatch: pytest.MonkeyPatch, level: int, names_read: bool
) -> None:
    """Chunk by chunk: a chunk without poison is decoded in one pass, one with poison record by
    record; until a header name that is not UTF-8 has been read, names are not looked at."""
    logger = structlog.wrap_logger(None, wrapper_class=structlog.make_filtering_bound_logger(level))
    monkeypatch.setattr(loop_module, "_log", logger)
    monkeypatch.setattr(UndecodableName, "made", names_read)
    consumer, dlq = FakeConsumer(), FakeDeadLetters()
    loop = new_loop(consumer, dlq)
    count = 2 * CHUNK + 10
    poison = {3: b"not json", CHUNK + 1: command(CHUNK + 1, "2009-02-29T00:00:00Z")}
    records = [record(P0, offset, poison.get(offset, command(offset))) for offset in range(count)]
    bad_name = 2 * CHUNK + 5  # in a chunk with no other poison
    if names_read:
        header = [(UndecodableName(b"\xfftrace"), b"x")]
        value = command(bad_name)
        records[bad_name] = ConsumerRecord("t", 0, bad_name, 0, 0, None, value, None, 0, 0, header)
        poison[bad_name] = value
    with structlog.testing.capture_logs() as logs:
        prepared = await loop.prepare({P0: records})
    kept = [offset for offset in range(count) if offset not in poison]
    assert [r.offset for r in prepared.records] == kept
    assert prepared.rows == [decode_row(command(offset)) for offset in kept]
    assert prepared.offsets == {P0: count}
    assert dlq.sent == [
        (0, 3, "NotJson"),
        (0, CHUNK + 1, "BadTimestamp"),
        *([(0, bad_name, "BadHeaders")] if names_read else []),
    ]
    received = [log["offset"] for log in logs if log["event"] == "command received"]
    assert received == (kept if level == logging.DEBUG else [])
