"""The query service beyond the original's: `?wait=` read-your-writes via LISTEN/NOTIFY, the
range listing."""

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from harness.http import RawConnection
from harness.processes import ServiceProcess
from harness.waiting import eventually
from integration.conftest import QUERY_URL
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand
from shared.schema import TABLE
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
MAIN_TOPIC = "timestamp.command.v1"


def new_command(moment: datetime | None = None) -> TimestampCommand:
    now = datetime.now(UTC)
    return TimestampCommand(uuid.uuid4(), moment or now, now)


async def produce(settings: KafkaSettings, topic: str, commands: list[TimestampCommand]) -> None:
    producer = AIOKafkaProducer(
        **client_kwargs(settings, "tests"), acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        for command in commands:
            await producer.send(topic, command.encode(), key=command.key())
        await producer.flush()
    finally:
        await producer.stop()


async def waiting_count(http: httpx.AsyncClient) -> int:
    ready = (await http.get(f"{QUERY_URL}/ready")).json()
    return int(ready["checks"]["database"]["waiting"])


async def test_wait_returns_within_ms_of_the_commit(
    http: httpx.AsyncClient,
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    services: list[ServiceProcess],
) -> None:
    consumer = ServiceProcess(
        "consumer_service",
        {
            "KAFKA_CONSUMER_TOPIC": fresh_topic,
            "KAFKA_GROUP_ID": f"g-{fresh_topic}",
            "LOG_LEVEL": "DEBUG",
        },
    ).start()
    services.append(consumer)
    await consumer.wait_healthy(path="/ready")
    command = new_command()
    waiting = asyncio.create_task(
        http.get(f"{QUERY_URL}/api/v1/timestamp/{command.command_id}", params={"wait": 10})
    )
    await eventually(lambda: _at_least(http, 1), 5, "the GET to be waiting")
    await produce(kafka_settings, fresh_topic, [command])
    response = await waiting
    answered = datetime.now(UTC)
    assert response.status_code == 200
    assert response.json()["id"] == str(command.command_id)

    async def applied() -> str | None:
        lines = [json.loads(line) for line in consumer.log_lines() if '"batch applied"' in line]
        return str(lines[-1]["timestamp"]) if lines else None

    # logged after the DB commit and the offset commit: the answer may come first
    committed = datetime.fromisoformat(await eventually(applied, 5, "the batch log line"))
    assert abs(answered - committed) < timedelta(milliseconds=100), answered - committed


async def _at_least(http: httpx.AsyncClient, count: int) -> bool:
    return await waiting_count(http) >= count


async def test_wait_ends_in_404_when_nothing_arrives(http: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await http.get(f"{QUERY_URL}/api/v1/timestamp/{uuid.uuid4()}", params={"wait": 0.3})
    elapsed = time.monotonic() - started
    assert response.status_code == 404
    assert 0.3 <= elapsed < 2


@pytest.mark.parametrize("wait", ["-1", "31", "abc", "nan"])
async def test_wait_is_bounded(http: httpx.AsyncClient, wait: str) -> None:
    response = await http.get(f"{QUERY_URL}/api/v1/timestamp/{uuid.uuid4()}?wait={wait}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_thousand_waiters_cost_little(
    http: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    commands = [new_command() for _ in range(1000)]

    async def wait_for(command: TimestampCommand) -> int:
        connection = RawConnection("127.0.0.1", int(QUERY_URL.rsplit(":", 1)[1]))
        try:
            status, _, _ = await connection.request(
                "GET", f"/api/v1/timestamp/{command.command_id}?wait=25", timeout=30
            )
            return status
        finally:
            connection.close()

    waiters = [asyncio.create_task(wait_for(command)) for command in commands]
    await eventually(lambda: _at_least(http, 1000), 15, "1,000 waiting GETs")
    metrics = (await http.get(f"{QUERY_URL}/metrics")).text
    assert 'timestamp_db_pool_connections{state="open"}' in metrics
    opened = metrics.split('timestamp_db_pool_connections{state="open"} ')[1]
    open_connections = float(opened.split()[0])
    assert open_connections <= 10, "a connection per waiter"
    await produce(kafka_settings, MAIN_TOPIC, commands)
    statuses = await asyncio.gather(*waiters)
    assert statuses == [200] * 1000


async def test_waiters_survive_the_listen_connection_dropping(
    http: httpx.AsyncClient, kafka_settings: KafkaSettings, db: asyncpg.Pool
) -> None:
    before = (await http.get(f"{QUERY_URL}/ready")).json()["checks"]["database"]["relistens"]
    command = new_command()
    waiting = asyncio.create_task(
        http.get(f"{QUERY_URL}/api/v1/timestamp/{command.command_id}", params={"wait": 20})
    )
    await eventually(lambda: _at_least(http, 1), 5, "the GET to be waiting")
    dropped = await db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'timestamp-query-listener'"
    )
    assert dropped >= 1
    await produce(kafka_settings, MAIN_TOPIC, [command])
    response = await waiting
    assert response.status_code == 200

    async def relistened() -> bool:
        ready = (await http.get(f"{QUERY_URL}/ready")).json()
        return bool(ready["checks"]["database"]["relistens"] > before)

    await eventually(relistened, 10, "the query service to LISTEN again")


async def test_listing_walks_10000_records_exactly_once_under_concurrent_inserts(
    http: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    base = datetime(1700 + uuid.uuid4().int % 200, 1, 1, tzinfo=UTC)
    end = base + timedelta(days=1)

    def rows(n: int) -> list[tuple[uuid.UUID, datetime, datetime]]:
        # many equal timestamps on purpose: the id breaks ties in the keyset
        return [(uuid.uuid4(), base + timedelta(seconds=i % 500), base) for i in range(n)]

    existing = rows(10_000)
    await db.copy_records_to_table(
        TABLE, records=existing, columns=["id", "event_timestamp", "accepted_at"]
    )

    async def insert_more() -> None:
        for _ in range(20):
            await db.copy_records_to_table(
                TABLE,
                records=rows(100),
                columns=["id", "event_timestamp", "accepted_at"],
            )
            await asyncio.sleep(0)

    inserting = asyncio.create_task(insert_more())
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"from": base.isoformat(), "to": end.isoformat(), "limit": "500"}
        if cursor:
            params["cursor"] = cursor
        response = await http.get(f"{QUERY_URL}/api/v1/timestamps", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        keys = [(item["event_timestamp"], item["id"]) for item in page["items"]]
        assert keys == sorted(keys)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    await inserting
    assert len(seen) == len(set(seen)), "a record was returned twice"
    assert {str(row[0]) for row in existing} <= set(seen), "a record was skipped"
    assert pages >= 20


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "to=2009-13-01T00:00:00Z",
        "limit=0",
        "limit=100000",
        "cursor=%%%",
        "cursor=bm90LWEtY3Vyc29y",
    ],
)
async def test_listing_rejects_bad_parameters(http: httpx.AsyncClient, query: str) -> None:
    response = await http.get(f"{QUERY_URL}/api/v1/timestamps?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
