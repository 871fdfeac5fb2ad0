"""`timestamp-ops reconcile` on extreme timestamps and on a live system."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from consumer_service.settings import ConsumerSettings
from harness.processes import ops
from ops import reconcile as reconciling
from ops.databases import ensure_database
from shared.db import connect
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand
from shared.schema import TABLE
from shared.settings import DatabaseSettings, KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
EXTREMES = [datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)]


async def produce(
    kafka: KafkaSettings, topic: str, moments: list[datetime], partitions: list[int] | None = None
) -> list[str]:
    """One command per moment; on `partitions[i % len(partitions)]` when given, else by key."""
    producer = AIOKafkaProducer(**client_kwargs(kafka, "tests"), acks="all")
    await producer.start()
    try:
        commands = [TimestampCommand(uuid.uuid4(), m, datetime.now(UTC)) for m in moments]
        for i, command in enumerate(commands):
            partition = partitions[i % len(partitions)] if partitions else None
            await producer.send_and_wait(
                topic, command.encode(), key=command.key(), partition=partition
            )
    finally:
        await producer.stop()
    return [str(command.command_id) for command in commands]


@pytest.fixture
async def database(db_settings: DatabaseSettings) -> AsyncIterator[str]:
    url = db_settings.db_url.rsplit("/", 1)[0] + f"/rc_{uuid.uuid4().hex[:10]}"
    await ensure_database(db_settings.model_copy(update={"db_url": url}))
    yield url
    admin = await connect(db_settings, "tests")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_records_at_the_ends_of_the_range_agree(
    kafka_settings: KafkaSettings, fresh_topic: str, database: str
) -> None:
    await produce(kafka_settings, fresh_topic, [*EXTREMES, *EXTREMES, datetime.now(UTC)])
    env = {"KAFKA_CONSUMER_TOPIC": fresh_topic, "DB_URL": database}
    replayed = await asyncio.to_thread(ops, "replay", **env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    done = await asyncio.to_thread(ops, "reconcile", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "AGREE" in done.stdout


async def test_lag_and_rows_after_the_snapshot_are_not_differences(
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = f"g-{fresh_topic}"
    # Partition 2 stays empty until the replay is done: the group never commits there.
    await produce(kafka_settings, fresh_topic, [datetime.now(UTC)] * 5, partitions=[0, 1])
    env = {"KAFKA_CONSUMER_TOPIC": fresh_topic, "DB_URL": database}
    replayed = await asyncio.to_thread(ops, "replay", "--group", group, **env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    now = [datetime.now(UTC)] * 3
    lagging = await produce(kafka_settings, fresh_topic, now, partitions=[0, 1, 2])  # not applied
    settings = ConsumerSettings(db_url=database, kafka_consumer_topic=fresh_topic)
    table = await connect(settings, "tests")
    later: list[str] = []
    applied_up_to = reconciling._applied_up_to

    async def busy(kafka: KafkaSettings, group: str, topic: str) -> list[tuple[int, int]]:
        """A command accepted and applied after the end offsets were taken, before the table's
        snapshot: what a busy consumer does while reconcile starts."""
        committed = await applied_up_to(kafka, group, topic)
        later.extend(await produce(kafka_settings, fresh_topic, [datetime.now(UTC)]))
        await table.execute(
            f"INSERT INTO {TABLE} (id, event_timestamp, accepted_at) "
            "VALUES ($1::uuid, now(), now())",
            later[0],
        )
        return committed

    monkeypatch.setattr(reconciling, "_applied_up_to", busy)
    try:
        result = await reconciling.reconcile(settings, settings, fresh_topic, group)
    finally:
        await table.close()
    assert (result.lag, result.arrived_later) == (3, 1), result
    assert sorted(result.samples["lag"]) == sorted(lagging)
    assert result.samples["arrived_later"] == later
    assert result.agrees, result
