"""Commands in, records out: end to end over HTTP against the running services, Kafka and
PostgreSQL."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata

from harness.db import count_rows
from harness.processes import ServiceProcess
from harness.waiting import eventually
from integration.conftest import COMMAND_URL, QUERY_URL
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand
from shared.schema import TABLE
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
CORRELATION_ID = "52f2665d-c087-42e5-a571-89061021a37c"


async def read_back(http: httpx.AsyncClient, record_id: str, timeout: float = 15) -> dict[str, str]:
    async def found() -> dict[str, str] | None:
        response = await http.get(f"{QUERY_URL}/api/v1/timestamp/{record_id}")
        return response.json() if response.status_code == 200 else None

    return await eventually(found, timeout, f"record {record_id} in the query service")


async def test_post_app_answers_an_id(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"{COMMAND_URL}/app", headers={"Content-Type": "application/json"}, content=b""
    )
    assert response.status_code == 200
    uuid.UUID(response.json()["id"])


async def test_posted_timestamp_reads_back_normalised_to_utc(http: httpx.AsyncClient) -> None:
    before = datetime.now(UTC)
    response = await http.post(
        f"{COMMAND_URL}/api/v1/timestamp/2009-09-28T21:03:12.250+02:00",
        headers={"correlationId": CORRELATION_ID},
    )
    assert response.status_code == 200
    assert response.headers["correlationId"] == CORRELATION_ID
    record_id = response.json()["id"]
    record = await read_back(http, record_id)
    assert set(record) == {"id", "command_id", "event_timestamp", "accepted_at", "created_at"}
    assert all(isinstance(value, str) for value in record.values())
    assert record["id"] == record["command_id"] == record_id
    assert record["event_timestamp"] == "2009-09-28T19:03:12.25Z"
    accepted = datetime.fromisoformat(record["accepted_at"])
    assert before <= accepted <= datetime.fromisoformat(record["created_at"])


async def test_get_unknown_is_404_and_bad_id_is_400(http: httpx.AsyncClient) -> None:
    unknown = await http.get(f"{QUERY_URL}/api/v1/timestamp/{uuid.uuid4()}")
    bad = await http.get(f"{QUERY_URL}/api/v1/timestamp/not-a-uuid")
    assert (unknown.status_code, bad.status_code) == (404, 400)
    for response in (unknown, bad):
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


async def test_missing_correlation_id_is_generated_and_bad_one_rejected(
    http: httpx.AsyncClient,
) -> None:
    generated = await http.post(f"{COMMAND_URL}/app")
    uuid.UUID(generated.headers["correlationId"])
    rejected = await http.post(f"{COMMAND_URL}/app", headers={"correlationId": "nope"})
    assert rejected.status_code == 400
    assert rejected.headers["content-type"] == "application/problem+json"


async def test_1001_concurrent_commands_are_all_readable(
    http: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    gate = asyncio.Semaphore(16)  # httpx itself slows down with many connections

    async def post(i: int) -> str:
        async with gate:
            response = await http.post(
                f"{COMMAND_URL}/api/v1/timestamp/2020-01-01T00:00:{i % 60:02d}Z"
            )
            assert response.status_code == 200
            return str(response.json()["id"])

    ids = await asyncio.gather(*(post(i) for i in range(1001)))
    assert len(set(ids)) == 1001

    async def all_rows() -> bool:
        return await count_rows(db, ids) == 1001

    await eventually(all_rows, 30, "1001 rows")

    async def get(record_id: str) -> None:
        async with gate:
            response = await http.get(f"{QUERY_URL}/api/v1/timestamp/{record_id}")
            assert response.status_code == 200
            assert response.json()["id"] == record_id

    await asyncio.gather(*(get(record_id) for record_id in ids))


async def _committed(admin: AIOKafkaAdminClient, group: str, tp: TopicPartition) -> int:
    offsets = await admin.list_consumer_group_offsets(group)
    meta = offsets.get(tp)
    return -1 if meta is None else int(meta.offset)


async def test_the_same_message_twice_leaves_one_unchanged_row(
    kafka_settings: KafkaSettings, db: asyncpg.Pool, admin: AIOKafkaAdminClient
) -> None:
    command = TimestampCommand(
        uuid.uuid4(), datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC), datetime.now(UTC)
    )
    producer = AIOKafkaProducer(
        **client_kwargs(kafka_settings, "tests"), acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        first = await producer.send_and_wait(
            "timestamp.command.v1", command.encode(), key=command.key()
        )
        row = await eventually(
            lambda: db.fetchrow(f"SELECT * FROM {TABLE} WHERE id = $1", command.command_id),
            15,
            "the first delivery's row",
        )
        second: RecordMetadata = await producer.send_and_wait(
            "timestamp.command.v1", command.encode(), key=command.key()
        )
    finally:
        await producer.stop()
    assert (first.partition, first.offset) < (second.partition, second.offset + 1)
    tp = TopicPartition(second.topic, second.partition)

    async def second_consumed() -> bool:
        return await _committed(admin, "timestamp-consumer-service-1", tp) > second.offset

    await eventually(second_consumed, 15, "the consumer to commit past the duplicate")
    rows = await db.fetch(f"SELECT * FROM {TABLE} WHERE id = $1", command.command_id)
    assert [dict(r) for r in rows] == [dict(row)]


async def test_correlation_id_reaches_the_consumer_log(
    http: httpx.AsyncClient, fresh_topic: str, services: list[ServiceProcess]
) -> None:
    command = ServiceProcess("command_service", {"KAFKA_PUBLISH_TOPIC": fresh_topic}).start()
    consumer = ServiceProcess(
        "consumer_service",
        {
            "KAFKA_CONSUMER_TOPIC": fresh_topic,
            "KAFKA_GROUP_ID": f"g-{fresh_topic}",
            "LOG_LEVEL": "DEBUG",
        },
    ).start()
    services += [command, consumer]
    await command.wait_healthy()
    await consumer.wait_healthy()
    correlation_id = str(uuid.uuid4())
    response = await http.post(f"{command.url}/app", headers={"correlationId": correlation_id})
    assert response.status_code == 200
    command_id = response.json()["id"]

    async def logged() -> dict[str, object] | None:
        for line in consumer.log_lines():
            if correlation_id in line and command_id in line:
                return dict(json.loads(line))
        return None

    entry = await eventually(logged, 20, "the consumer's log line for the command")
    assert entry["correlationId"] == correlation_id
    assert entry["service"] == "consumer_service"
