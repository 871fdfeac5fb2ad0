"""What the loop has done and owns: for `/ready`, `/metrics` and the logs."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

_log = structlog.get_logger("consumer")


class EndOffsets(Protocol):
    """What the lag needs of a Kafka consumer (AIOKafkaConsumer)."""

    def highwater(self, partition: TopicPartition) -> int | None:
        """The partition's end offset as of the last fetch; None before the first."""


def partition_name(tp: TopicPartition) -> str:
    return f"{tp.topic}-{tp.partition}"


@dataclass
class Progress:
    assigned: set[TopicPartition] = field(default_factory=set)
    applied: int = 0
    dead_lettered: int = 0
    retries: int = 0
    last_commit_monotonic: float | None = None
    last_commit_time: float | None = None  # the same moment, Unix time (for /metrics)
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    paused: dict[TopicPartition, str] = field(default_factory=dict)  # why, per partition
    stopped: dict[TopicPartition, str] = field(default_factory=dict)  # paused, not transient

    def block(self, tp: TopicPartition, reason: str, stopped: bool) -> None:
        self.paused[tp] = reason
        if stopped:
            self.stopped[tp] = reason
        else:
            self.stopped.pop(tp, None)

    def unblock(self, tp: TopicPartition) -> None:
        self.paused.pop(tp, None)
        self.stopped.pop(tp, None)

    def lag(self, consumer: EndOffsets) -> dict[str, int | None]:
        """Records not yet committed, per assigned partition (None until the first fetch)."""
        lag: dict[str, int | None] = {}
        for tp in sorted(self.assigned):
            end = consumer.highwater(tp)
            done = self.committed.get(tp)
            lag[partition_name(tp)] = None if end is None or done is None else max(0, end - done)
        return lag

    def last_commit_age_s(self) -> float | None:
        last = self.last_commit_monotonic
        return None if last is None else time.monotonic() - last


class AssignmentTracker(ConsumerRebalanceListener):
    """A revoke commits nothing: offsets applied but not yet committed (at most
    OFFSET_COMMIT_INTERVAL_MS' worth) and an in-flight batch of a revoked partition are
    redelivered to the new owner, where the idempotent write makes them harmless."""

    def __init__(
        self,
        progress: Progress,
        consumer: AIOKafkaConsumer,
        on_revoked: Callable[[set[TopicPartition]], None] = lambda revoked: None,
    ) -> None:
        self._progress = progress
        self._consumer = consumer
        self._on_revoked = on_revoked

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._progress.assigned -= set(revoked)
        self._on_revoked(set(revoked))
        for tp in revoked:
            self._progress.committed.pop(tp, None)
        _log.info("partitions revoked", partitions=sorted(map(partition_name, revoked)))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._progress.assigned = set(assigned)
        for tp in assigned:
            self._progress.committed[tp] = await self._consumer.committed(tp) or 0
        _log.info("partitions assigned", partitions=sorted(map(partition_name, assigned)))
