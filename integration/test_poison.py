"""Poison records go to `<topic>.dlq` with headers saying why and where; the partition moves on."""

import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from harness.db import count_rows
from harness.kafka import topic_records, topic_size
from harness.processes import ServiceProcess
from harness.stack import consumer_env
from harness.waiting import eventually
from shared.kafka import client_kwargs, dead_letter_topic
from shared.messages import TimestampCommand
from shared.schema import TABLE
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
GOOD, POISON = 10_000, 1_000


def poison(i: int) -> bytes:
    good = TimestampCommand(uuid.uuid4(), datetime.now(UTC), datetime.now(UTC)).to_json()
    kinds = [
        b"{not json",
        orjson.dumps({"command_id": good["command_id"]}),  # wrong schema
        orjson.dumps({**good, "event_timestamp": "2009-13-01T00:00:00Z"}),  # bad timestamp
        orjson.dumps({**good, "command_id": f"'; DROP TABLE {TABLE}; --"}),  # bad id
    ]
    return kinds[i % len(kinds)]


async def test_poison_is_dead_lettered_and_good_records_all_land(
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    db: asyncpg.Pool,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
) -> None:
    producer = AIOKafkaProducer(
        **client_kwargs(kafka_settings, "tests"),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )
    await producer.start()
    good_ids: list[str] = []
    try:
        for i in range(GOOD + POISON):
            if i % 11 == 5:
                await producer.send(fresh_topic, poison(i), headers=[("origin", b"test")])
            else:
                command = TimestampCommand(uuid.uuid4(), datetime.now(UTC), datetime.now(UTC))
                good_ids.append(str(command.command_id))
                await producer.send(fresh_topic, command.encode(), key=command.key())
        await producer.flush()
    finally:
        await producer.stop()
    assert len(good_ids) == GOOD

    consumer = ServiceProcess(
        "consumer_service",
        consumer_env(fresh_topic, f"g-{fresh_topic}"),
    ).start()
    services.append(consumer)
    await consumer.wait_healthy()

    async def all_rows() -> bool:
        return await count_rows(db, good_ids) == GOOD

    await eventually(all_rows, 90, f"{GOOD} rows", every=0.25)
    dlq = dead_letter_topic(fresh_topic)
    assert await topic_size(kafka_settings, dlq) == POISON

    async def caught_up() -> dict[str, int] | None:
        kafka = (await http.get(f"{consumer.url}/ready")).json()["checks"]["kafka"]
        lag = kafka.get("lag", {})
        return lag if lag and all(value == 0 for value in lag.values()) else None

    await eventually(caught_up, 30, "consumer lag 0 on every partition")
    records = await topic_records(kafka_settings, dlq)
    reasons = set()
    for record in records:
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["__connect.errors.topic"] == fresh_topic
        assert int(headers["__connect.errors.offset"]) >= 0
        assert headers["__connect.errors.partition"].isdigit()
        assert headers["origin"] == "test", "the original headers travel with the record"
        reasons.add(headers["__connect.errors.exception.class.name"].rsplit(".", 1)[-1])
    assert reasons == {"NotJson", "WrongSchema", "BadTimestamp", "BadCommandId"}
    assert await db.fetchval(f"SELECT to_regclass('{TABLE}') IS NOT NULL")
