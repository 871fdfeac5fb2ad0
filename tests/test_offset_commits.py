"""consumer_service/loop.py offset commits with a fake consumer: what a failed commit keeps."""

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError
from prometheus_client import CollectorRegistry

from consumer_service.dead_letters import DeadLetters
from consumer_service.loop import ConsumeLoop
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings
from tests import test_loop_dead_letters
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
