"""The platform is real: Apache Kafka with an idempotent producer, PostgreSQL, three services."""

import uuid

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from integration.conftest import COMMAND_URL, CONSUMER_URL, QUERY_URL
from shared.kafka import client_kwargs
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_idempotent_producer_round_trip(
    kafka_settings: KafkaSettings, fresh_topic: str
) -> None:
    producer = AIOKafkaProducer(
        **client_kwargs(kafka_settings, "tests"), acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        sent = [
            await producer.send_and_wait(fresh_topic, f"m{i}".encode(), key=b"k") for i in range(10)
        ]
    finally:
        await producer.stop()
    assert [m.offset for m in sent] == list(range(10))
    consumer = AIOKafkaConsumer(
        fresh_topic,
        **client_kwargs(kafka_settings, "tests"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        received: list[bytes | None] = []
        while len(received) < 10:
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "no records within 5 s"
            received += [r.value for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    assert received == [f"m{i}".encode() for i in range(10)]


async def test_the_command_topic_keeps_everything(
    admin: AIOKafkaAdminClient, fresh_topic: str
) -> None:
    (response,) = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, fresh_topic)]
    )
    (described,) = response.to_object()["resources"]
    configs = {
        entry["config_names"]: entry["config_value"] for entry in described["config_entries"]
    }
    assert configs["retention.ms"] == "-1"


async def test_postgres_round_trip(db: asyncpg.Pool) -> None:
    value = uuid.uuid4()
    async with db.acquire() as connection:
        assert await connection.fetchval("SELECT $1::uuid", value) == value
        version = await connection.fetchval("SHOW server_version")
    assert version.startswith("15.")


@pytest.mark.parametrize("url", [COMMAND_URL, CONSUMER_URL, QUERY_URL])
async def test_each_service_is_healthy(http: httpx.AsyncClient, url: str) -> None:
    response = await http.get(f"{url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}


@pytest.mark.parametrize("url", [COMMAND_URL, CONSUMER_URL, QUERY_URL])
async def test_each_service_is_ready(http: httpx.AsyncClient, url: str) -> None:
    response = await http.get(f"{url}/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "UP"
