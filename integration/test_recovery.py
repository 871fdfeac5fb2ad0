"""Disaster recovery: the topic rebuilds the table exactly."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from harness.db import count_rows
from harness.processes import ServiceProcess, ops
from harness.waiting import eventually
from integration.load import ingest
from shared.db import connect
from shared.schema import TABLE
from shared.settings import DatabaseSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
SNAPSHOT = f"SELECT id, event_timestamp, accepted_at FROM {TABLE} ORDER BY id"


@dataclass
class Site:
    """A topic of its own and a database of its own, filled through the real services."""

    topic: str
    db_url: str
    database: asyncpg.Connection
    acked: list[str]


def database_url(settings: DatabaseSettings, name: str) -> str:
    return settings.db_url.rsplit("/", 1)[0] + "/" + name


async def create_database(settings: DatabaseSettings, name: str) -> None:
    admin = await connect(settings, "tests")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(settings: DatabaseSettings, name: str) -> None:
    admin = await connect(settings, "tests")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def site(
    fresh_topic: str, db_settings: DatabaseSettings, services: list[ServiceProcess]
) -> AsyncIterator[Site]:
    name = f"dr_{uuid.uuid4().hex[:10]}"
    await create_database(db_settings, name)
    db_url = database_url(db_settings, name)
    command = ServiceProcess("command_service", {"KAFKA_PUBLISH_TOPIC": fresh_topic}).start()
    consumer = ServiceProcess(
        "consumer_service",
        {
            "KAFKA_CONSUMER_TOPIC": fresh_topic,
            "KAFKA_GROUP_ID": f"g-{fresh_topic}",
            "DB_URL": db_url,
        },
    ).start()
    services += [command, consumer]
    await command.wait_healthy()
    await consumer.wait_healthy(path="/ready")
    result = await ingest(f"{command.url}/app", 1001, connections=16)
    assert len(result.acked) == 1001, result.summary()
    database = await connect(db_settings.model_copy(update={"db_url": db_url}), "tests")

    async def all_rows() -> bool:
        return await count_rows(database) == 1001

    await eventually(all_rows, 30, "1,001 rows")
    consumer.stop()
    yield Site(fresh_topic, db_url, database, result.acked)
    await database.close()
    for service in services:
        service.stop()
    await drop_database(db_settings, name)


async def test_replay_after_truncate_rebuilds_the_table_exactly(site: Site) -> None:
    before = await site.database.fetch(SNAPSHOT)
    await site.database.execute(f"TRUNCATE {TABLE}")
    done = await asyncio.to_thread(
        ops, "replay", KAFKA_CONSUMER_TOPIC=site.topic, DB_URL=site.db_url
    )
    assert done.returncode == 0, done.stderr
    assert "replayed 1001 records" in done.stdout
    assert await site.database.fetch(SNAPSHOT) == before


async def test_replay_into_a_fresh_database(site: Site, db_settings: DatabaseSettings) -> None:
    before = await site.database.fetch(SNAPSHOT)
    fresh_url = database_url(db_settings, f"dr_{uuid.uuid4().hex[:10]}")
    done = await asyncio.to_thread(
        ops, "replay", "--db-url", fresh_url, KAFKA_CONSUMER_TOPIC=site.topic
    )
    assert done.returncode == 0, done.stderr
    assert "created database" in done.stderr
    fresh = await connect(db_settings.model_copy(update={"db_url": fresh_url}), "tests")
    try:
        assert await fresh.fetch(SNAPSHOT) == before
    finally:
        await fresh.close()
        await drop_database(db_settings, fresh_url.rsplit("/", 1)[1])


async def test_the_originals_way_a_new_group_rebuilds_it(
    site: Site, services: list[ServiceProcess]
) -> None:
    before = await site.database.fetch(SNAPSHOT)
    await site.database.execute(f"TRUNCATE {TABLE}")
    consumer = ServiceProcess(
        "consumer_service",
        {
            "KAFKA_CONSUMER_TOPIC": site.topic,
            "KAFKA_GROUP_ID": f"rebuild-{uuid.uuid4().hex[:6]}",
            "DB_URL": site.db_url,
        },
    ).start()
    services.append(consumer)

    async def rebuilt() -> bool:
        return await count_rows(site.database) == 1001

    await eventually(rebuilt, 60, "the new group to rebuild 1,001 rows")
    assert await site.database.fetch(SNAPSHOT) == before


async def test_reconcile_passes_then_names_a_deleted_and_a_tampered_row(site: Site) -> None:
    env = {"KAFKA_CONSUMER_TOPIC": site.topic, "DB_URL": site.db_url}
    healthy = await asyncio.to_thread(ops, "reconcile", "--json", **env)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert '"agrees": true' in healthy.stdout
    deleted, tampered = site.acked[0], site.acked[1]
    await site.database.execute(f"DELETE FROM {TABLE} WHERE id = $1", uuid.UUID(deleted))
    await site.database.execute(
        f"UPDATE {TABLE} SET event_timestamp = event_timestamp + interval '1 second' WHERE id = $1",
        uuid.UUID(tampered),
    )
    broken = await asyncio.to_thread(ops, "reconcile", **env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"missing: {deleted}" in broken.stdout
    assert f"differing: {tampered}" in broken.stdout
    assert "DISAGREE" in broken.stdout


async def test_reset_group_is_refused_while_the_group_has_members(
    site: Site, services: list[ServiceProcess]
) -> None:
    group = f"g-{site.topic}"
    consumer = ServiceProcess(
        "consumer_service",
        {
            "KAFKA_CONSUMER_TOPIC": site.topic,
            "KAFKA_GROUP_ID": group,
            "DB_URL": site.db_url,
        },
    ).start()
    services.append(consumer)
    await consumer.wait_healthy(path="/ready")
    env = {"KAFKA_CONSUMER_TOPIC": site.topic, "DB_URL": site.db_url, "KAFKA_GROUP_ID": group}
    refused = await asyncio.to_thread(ops, "replay", "--reset-group", **env)
    assert refused.returncode == 2
    assert "has active members" in refused.stderr
    consumer.stop()
    await site.database.execute(f"TRUNCATE {TABLE}")
    done = await asyncio.to_thread(ops, "replay", "--reset-group", **env)
    assert done.returncode == 0, done.stderr
    assert await count_rows(site.database) == 1001
