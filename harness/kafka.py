"""Kafka look-ups for checks: a topic's size, a group's lag, all of a topic's records
(ops.topic_reader reads them, from the beginning to the end offsets of the moment)."""

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from ops.topic_reader import read_topic, topic_extent
from shared.kafka import KafkaRecord, client_kwargs
from shared.settings import KafkaSettings


async def topic_size(settings: KafkaSettings, topic: str) -> int:
    return (await topic_extent(settings, topic)).size


async def topic_records(settings: KafkaSettings, topic: str) -> list[KafkaRecord]:
    extent = await topic_extent(settings, topic)
    return [record async for batch in read_topic(settings, extent) for record in batch]


async def committed_lag(settings: KafkaSettings, group: str, topic: str) -> int | None:
    """Records of `topic` past the group's committed offsets; None while Kafka cannot say."""
    admin = AIOKafkaAdminClient(**client_kwargs(settings, "tests"))
    try:
        await admin.start()
        committed = await admin.list_consumer_group_offsets(group)
        ends = (await topic_extent(settings, topic)).ends
    except KafkaError:
        return None
    finally:
        await admin.close()
    return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
