"""Rebuild the read model from the topic's earliest offset, with the consumer's own apply code."""

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError
from prometheus_client import CollectorRegistry

from consumer_service.dead_letters import DeadLetters
from consumer_service.loop import Batch, ConsumeLoop, Prepared, poll_batch
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings
from ops.topic_reader import topic_extent
from shared.db import create_pool
from shared.kafka import client_kwargs


class GroupInUse(RuntimeError):
    """The consumer group has active members; resetting it would race them."""


@dataclass
class ReplayProgress:
    """In offsets (positions), not records: markers and aborted records take offsets too."""

    total: int
    done: int = 0
    started: float = 0.0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0


Report = Callable[[ReplayProgress], None]


async def reset_group(settings: ConsumerSettings, group: str) -> None:
    """Commit the earliest offsets for `group`. The broker refuses the commit while the group
    has members, which is exactly when a reset must not happen."""
    extent = await topic_extent(settings, settings.kafka_consumer_topic)
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings, "ops"), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(sorted(extent.beginnings))
        try:
            await consumer.commit(extent.beginnings)
        except CommitFailedError:
            raise GroupInUse(
                f"consumer group {group!r} has active members; stop the consumer service "
                "(or replay through a new group with --group) and try again"
            ) from None
    finally:
        await consumer.stop()


async def _until_ends(
    consumer: AIOKafkaConsumer,
    position: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
    settings: ConsumerSettings,
) -> AsyncIterator[Batch]:
    """Poll until every partition's position reached its end offset taken at the start. The
    position, not the last record's offset: transaction markers and aborted records occupy
    offsets that no record is returned for, so a count of records may never get there."""
    pending = {tp for tp in position if position[tp] < ends[tp]}
    while pending:
        polled = await poll_batch(
            consumer, *pending, timeout_ms=500, max_records=settings.batch_max_records
        )
        batch = {tp: [r for r in records if r.offset < ends[tp]] for tp, records in polled.items()}
        batch = {tp: records for tp, records in batch.items() if records}
        for tp in list(pending):
            position[tp] = await consumer.position(tp)
            if position[tp] >= ends[tp]:
                pending.discard(tp)
        if batch:
            yield batch


async def replay(settings: ConsumerSettings, group: str, report: Report) -> ReplayProgress:
    """Consume `group` from its committed (or earliest) offsets until the end offsets taken at
    start are reached, applying every batch exactly as the consumer service does."""
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings, "replay"),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    topic = settings.kafka_consumer_topic
    ends = (await topic_extent(settings, topic)).ends
    tps = sorted(ends)
    pool = await create_pool(settings, min_size=1)
    await consumer.start()
    try:
        consumer.assign(tps)
        starts = {tp: await consumer.position(tp) for tp in tps}
        progress = ReplayProgress(total=sum(ends[tp] - starts[tp] for tp in tps))
        progress.started = time.monotonic()
        loop = ConsumeLoop(
            consumer,
            pool,
            DeadLetters(None, topic),
            settings,
            ConsumerMetrics(CollectorRegistry()),
        )
        report(progress)

        positions = dict(starts)

        def applied(batch: Prepared) -> None:
            progress.done = sum(positions[tp] - starts[tp] for tp in tps)
            report(progress)

        await loop.run_pipelined(_until_ends(consumer, positions, ends, settings), applied)
        progress.done = progress.total
        report(progress)
        return progress
    finally:
        await consumer.stop()
        await pool.close()
