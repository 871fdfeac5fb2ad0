"""consumer_service/loop.py offset commits with a fake consumer: what a failed commit keeps, and
a commit in flight holding back neither the next batch nor the shutdown's final commit."""

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError
from prometheus_client import CollectorRegistry

from consumer_service import loop as loop_module
from consumer_service.dead_letters import DeadLetters
from consumer_service.loop import Batch, ConsumeLoop
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings
from tests import test_loop_dead_letters
from tests.test_loop_dead_letters import FakeSink, command, feed, record, until
from tests.unused_database import UnusedPool

TP = TopicPartition("t", 0)


class FakeConsumer(test_loop_dead_letters.FakeConsumer):
    """Owns only TP; each commit is recorded, then fails with `error` while it is set."""

    def __init__(self, error: KafkaError | None) -> None:
        super().__init__()
        self.assigned = {TP}
        self.error = error

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await super().commit(offsets)
        if self.error is not None:
            raise self.error


def _loop(consumer: FakeConsumer) -> ConsumeLoop:
    metrics = ConsumerMetrics(CollectorRegistry())
    no_dead_letters = DeadLetters(None, TP.topic)
    return ConsumeLoop(consumer, UnusedPool(), no_dead_letters, ConsumerSettings(), metrics)


async def test_a_commit_refused_by_a_rebalance_is_dropped_not_retried() -> None:
    consumer = FakeConsumer(CommitFailedError())
    loop = _loop(consumer)
    loop._applied_offsets = {TP: 10}
    await loop.commit_applied()
    await loop.commit_applied()
    assert consumer.commits == [{TP: 10}]  # retrying a gone generation restarts the rebalance


async def test_a_commit_that_failed_otherwise_is_tried_again_with_the_next() -> None:
    consumer = FakeConsumer(KafkaConnectionError())
    loop = _loop(consumer)
    loop._applied_offsets = {TP: 10}
    await loop.commit_applied()
    consumer.error = None
    await loop.commit_applied()
    assert consumer.commits == [{TP: 10}, {TP: 10}]


class SlowCommits(FakeConsumer):
    """Each commit is recorded when asked for and answered once `answer` is set."""

    def __init__(self) -> None:
        super().__init__(None)
        self.answer = asyncio.Event()
        self.out = 0
        self.most_out = 0

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        try:
            await super().commit(offsets)
            await self.answer.wait()
        finally:
            self.out -= 1


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> FakeSink:
    fake = FakeSink()
    monkeypatch.setattr(loop_module, "apply_batch", fake)
    return fake


async def test_batches_are_applied_while_a_commit_is_out_and_the_end_commits_them(
    sink: FakeSink,
) -> None:
    consumer = SlowCommits()
    loop = _loop(consumer)
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    running = asyncio.create_task(loop.run_pipelined(feed(batches)))
    await batches.put({TP: [record(TP, 0, command(0))]})
    await until(lambda: consumer.commits == [{TP: 1}], "the first batch's commit asked for")
    await batches.put({TP: [record(TP, 1, command(1))]})
    await batches.put({TP: [record(TP, 2, command(2))]})
    await until(lambda: len(sink.rows) == 3, "later batches applied while it is out")
    await batches.put(None)
    await asyncio.sleep(0.01)
    assert consumer.commits == [{TP: 1}], "a second commit waits for the first"
    consumer.answer.set()
    await running
    assert consumer.commits == [{TP: 1}, {TP: 3}] and consumer.most_out == 1
