"""Rebuild the read model from the topic's earliest offset, with the consumer's own apply code."""

import asyncio
import gc
import time
from bisect import bisect_left
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from operator import attrgetter

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

CONNECTIONS = 2  # each with its own consumer: PostgreSQL gets a second core to write with
YOUNG_COLLECTION_THRESHOLD = 100_000
# Each offset commit is a broker round trip that its lane's next transaction waits for; the
# service's interval (100 ms) would commit after nearly every batch. A replay cut short
# starts again from a commit at most this old, and its writes are idempotent.
OFFSET_COMMIT_INTERVAL_MS = 1_000


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
    """Poll until every partition assigned to `consumer` reached its end offset taken at the
    start. The position, not the last record's offset: transaction markers and aborted records
    occupy offsets that no record is returned for, so a count of records may never get there."""
    pending = {tp for tp in consumer.assignment() if position[tp] < ends[tp]}
    while pending:
        batch = await poll_batch(
            consumer, *pending, timeout_ms=500, max_records=settings.batch_max_records
        )
        for tp, records in list(batch.items()):
            if records[-1].offset >= ends[tp]:  # written since the start: not this replay's
                inside = records[: bisect_left(records, ends[tp], key=attrgetter("offset"))]
                if inside:
                    batch[tp] = inside
                else:
                    del batch[tp]
        for tp in list(pending):
            position[tp] = await consumer.position(tp)
            if position[tp] >= ends[tp]:
                pending.discard(tp)
        if batch:
            yield batch


@contextmanager
def _few_collections() -> Iterator[None]:
    """The replay keeps a few batches of records alive, tens of thousands of objects: with the
    default threshold (700 more allocations than deallocations) the cyclic collector ran
    thousands of times per million records and its full collections walked the whole heap:
    ~40% of the replay's CPU. Above the live batches it runs only when garbage piles up."""
    thresholds = gc.get_threshold()
    gc.freeze()  # what start-up made lives as long as the process: not walked again
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _consumer(settings: ConsumerSettings, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_kwargs(settings, "replay"),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )


async def _positions(
    consumer: AIOKafkaConsumer, share: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """Start `consumer` on `share`: where each partition is read from (committed or earliest)."""
    await consumer.start()
    consumer.assign(share)
    return {tp: await consumer.position(tp) for tp in share}


async def replay(
    settings: ConsumerSettings, group: str, report: Report, connections: int = CONNECTIONS
) -> ReplayProgress:
    """Consume `group` from its committed (or earliest) offsets until the end offsets taken at
    start are reached, applying every batch exactly as the consumer service does. The
    partitions are split over `connections` consumers, each writing through its own database
    connection, so that PostgreSQL writes with more than one process."""
    topic = settings.kafka_consumer_topic
    settings = settings.model_copy(update={"offset_commit_interval_ms": OFFSET_COMMIT_INTERVAL_MS})
    ends = (await topic_extent(settings, topic)).ends
    tps = sorted(ends)
    lanes = min(connections, len(tps))
    shares = [tps[lane::lanes] for lane in range(lanes)]
    with _few_collections():
        async with AsyncExitStack() as stack:
            pool = await create_pool(settings, min_size=lanes)
            stack.push_async_callback(pool.close)
            consumers = [_consumer(settings, group) for _ in shares]
            for consumer in consumers:  # stop() of one that never started closes its client
                stack.push_async_callback(consumer.stop)
            # Side by side: each waits on round trips (bootstrap, coordinator, offsets).
            async with asyncio.TaskGroup() as starting:
                positioned = [
                    starting.create_task(_positions(consumer, share))
                    for consumer, share in zip(consumers, shares, strict=True)
                ]
            starts = {tp: at for task in positioned for tp, at in task.result().items()}
            progress = ReplayProgress(total=sum(ends[tp] - starts[tp] for tp in tps))
            progress.started = time.monotonic()
            report(progress)
            positions = dict(starts)

            def applied(batch: Prepared) -> None:
                progress.done = sum(positions[tp] - starts[tp] for tp in tps)
                report(progress)

            async with asyncio.TaskGroup() as tasks:
                for consumer in consumers:
                    loop = ConsumeLoop(
                        consumer,
                        pool,
                        DeadLetters(None, topic),
                        settings,
                        ConsumerMetrics(CollectorRegistry()),
                    )
                    batches = _until_ends(consumer, positions, ends, settings)
                    tasks.create_task(loop.run_pipelined(batches, applied))
            progress.done = progress.total
            report(progress)
            return progress
