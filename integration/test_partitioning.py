"""Records are on the partition Kafka's default partitioner gives their key."""

import asyncio

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner

from harness.processes import ServiceProcess
from ops.topic_reader import read_topic, topic_extent
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka]


async def test_every_record_is_on_the_partition_of_its_key(
    kafka_settings: KafkaSettings, fresh_topic: str, services: list[ServiceProcess]
) -> None:
    command = ServiceProcess("command_service", {"KAFKA_PUBLISH_TOPIC": fresh_topic}).start()
    services.append(command)
    await command.wait_healthy()
    async with httpx.AsyncClient(base_url=command.url, timeout=10) as client:
        answers = await asyncio.gather(*(client.post("/api/v1/timestamp") for _ in range(60)))
    assert all(answer.status_code == 200 for answer in answers)
    extent = await topic_extent(kafka_settings, fresh_topic)
    partitions = sorted(tp.partition for tp in extent.ends)
    placed = [
        (record.key, record.partition)
        async for records in read_topic(kafka_settings, extent)
        for record in records
    ]
    assert len(placed) == 60
    partitioner = DefaultPartitioner()
    assert all(partitioner(key, partitions, partitions) == p for key, p in placed)
