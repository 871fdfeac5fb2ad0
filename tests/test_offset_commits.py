"""consumer_service/loop.py offset commits with a fake consumer: what a failed commit keeps."""

from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError
from prometheus_client import CollectorRegistry

from consumer_service.loop import ConsumeLoop
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings

TP = TopicPartition("t", 0)


class FakeConsumer:
    def __init__(self, error: KafkaError | None) -> None:
        self.error = error
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        if self.error is not None:
            raise self.error


def _loop(consumer: FakeConsumer) -> ConsumeLoop:
    metrics = ConsumerMetrics(CollectorRegistry())
    none: Any = None
    return ConsumeLoop(consumer, none, none, ConsumerSettings(), metrics)  # type: ignore[arg-type]


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
