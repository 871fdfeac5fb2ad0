"""Read a whole topic, from its beginning to the end offsets taken at start, without a group."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from consumer_service.lenient_records import install as read_records_leniently
from shared.kafka import KafkaRecord, client_kwargs
from shared.settings import KafkaSettings

read_records_leniently()  # a header name that is not UTF-8 must not stop reconcile or dlq


@dataclass(frozen=True)
class TopicExtent:
    beginnings: dict[TopicPartition, int]
    ends: dict[TopicPartition, int]

    @property
    def size(self) -> int:
        return sum(self.ends[tp] - self.beginnings[tp] for tp in self.ends)


async def topic_extent(settings: KafkaSettings, topic: str) -> TopicExtent:
    # Subscribed, it fetches from the end at once, and a fetch there waits fetch_max_wait_ms
    # for records: the offset requests would queue behind it on the connection, 0.5 s.
    consumer = AIOKafkaConsumer(topic, **client_kwargs(settings, "ops"), fetch_max_wait_ms=0)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not tps:
            raise LookupError(f"topic {topic} does not exist")
        return TopicExtent(
            dict(await consumer.beginning_offsets(tps)), dict(await consumer.end_offsets(tps))
        )
    finally:
        await consumer.stop()


async def read_topic(
    settings: KafkaSettings, extent: TopicExtent, max_records: int = 10_000
) -> AsyncIterator[Sequence[KafkaRecord]]:
    """Yield batches of records until every partition reached its end offset in `extent`."""
    pending = {tp for tp in extent.ends if extent.ends[tp] > extent.beginnings[tp]}
    if not pending:
        return  # and no consumer: one stopped with nothing assigned raises CancelledError
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings, "ops"),
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign(sorted(pending))
        for tp in pending:
            consumer.seek(tp, extent.beginnings[tp])
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=max_records)
            for tp, records in batch.items():
                inside = [r for r in records if r.offset < extent.ends[tp]]
                if inside:
                    yield inside
                if records and records[-1].offset + 1 >= extent.ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
