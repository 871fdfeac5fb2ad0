"""Every statement is parameterized: injection-shaped input through every endpoint and the
consumer leaves the table intact."""

import uuid

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from harness.db import count_rows
from harness.kafka import topic_size
from harness.waiting import eventually
from integration.conftest import COMMAND_URL, QUERY_URL
from shared.kafka import client_kwargs, dead_letter_topic
from shared.schema import TABLE
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
PAYLOADS = [
    "' OR '1'='1",
    f"'; DROP TABLE {TABLE}; --",
    "1; SELECT pg_sleep(5)",
    f"2009-09-28T19:03:12Z'; DELETE FROM {TABLE}; --",
    '" OR ""="',
    "$1",
    f"\\'; TRUNCATE {TABLE}; --",
]


async def table_state(db: asyncpg.Pool) -> tuple[int, bool]:
    exists = await db.fetchval(f"SELECT to_regclass('{TABLE}') IS NOT NULL")
    return await count_rows(db), bool(exists)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_injection_through_http_is_just_bad_input(
    http: httpx.AsyncClient, db: asyncpg.Pool, payload: str
) -> None:
    before, _ = await table_state(db)
    quoted = httpx.URL(f"{QUERY_URL}/api/v1/timestamp/x").copy_with(
        raw_path=b"/api/v1/timestamp/" + httpx.URL(payload).raw_path.lstrip(b"/")
    )
    responses = [
        await http.post(f"{COMMAND_URL}/api/v1/timestamp/{payload}"),
        await http.post(f"{COMMAND_URL}/app", headers={"correlationId": payload}),
        await http.get(str(quoted)),
        await http.get(f"{QUERY_URL}/api/v1/timestamps", params={"from": payload}),
        await http.get(f"{QUERY_URL}/api/v1/timestamps", params={"cursor": payload}),
        await http.get(f"{QUERY_URL}/api/v1/timestamp/{uuid.uuid4()}", params={"wait": payload}),
    ]
    for response in responses:
        assert response.status_code in (400, 404), (response.request.url, response.text)
    after, exists = await table_state(db)
    assert exists and after >= before


async def test_injection_through_the_consumer_is_dead_lettered(
    kafka_settings: KafkaSettings, db: asyncpg.Pool
) -> None:
    before, _ = await table_state(db)
    dlq = dead_letter_topic("timestamp.command.v1")
    dead_before = await topic_size(kafka_settings, dlq)
    producer = AIOKafkaProducer(**client_kwargs(kafka_settings, "tests"), acks="all")
    await producer.start()
    try:
        for payload in PAYLOADS:
            value = {"command_id": payload, "event_timestamp": payload, "accepted_at": payload}
            await producer.send_and_wait("timestamp.command.v1", orjson.dumps(value))
    finally:
        await producer.stop()

    async def all_dead_lettered() -> bool:
        return await topic_size(kafka_settings, dlq) >= dead_before + len(PAYLOADS)

    await eventually(all_dead_lettered, 20, "the injection records in the DLQ")
    after, exists = await table_state(db)
    assert exists and after >= before
