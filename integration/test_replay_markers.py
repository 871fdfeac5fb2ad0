"""`replay` reaches the end offsets of a topic with transaction markers."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from consumer_service.settings import ConsumerSettings
from harness.db import count_rows
from ops.databases import ensure_database
from ops.replay import ReplayProgress, replay
from shared.db import connect
from shared.kafka import client_kwargs
from shared.messages import TimestampCommand
from shared.settings import DatabaseSettings, KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_replay_of_a_transactional_topic_finishes(
    kafka_settings: KafkaSettings, db_settings: DatabaseSettings, fresh_topic: str
) -> None:
    producer = AIOKafkaProducer(
        **client_kwargs(kafka_settings, "tests"), transactional_id=f"tx-{fresh_topic}"
    )
    await producer.start()
    try:
        for committed in (True, False, True):  # an aborted transaction between two committed
            await producer.begin_transaction()
            for _ in range(5):
                command = TimestampCommand(uuid.uuid4(), datetime.now(UTC), datetime.now(UTC))
                await producer.send(fresh_topic, command.encode(), key=command.key())
            await producer.flush()
            if committed:
                await producer.commit_transaction()
            else:
                await producer.abort_transaction()
    finally:
        await producer.stop()
    name = f"rp_{uuid.uuid4().hex[:10]}"
    url = db_settings.db_url.rsplit("/", 1)[0] + "/" + name
    settings = ConsumerSettings(db_url=url, kafka_consumer_topic=fresh_topic)
    await ensure_database(settings)
    seen: list[ReplayProgress] = []
    async with asyncio.timeout(60):  # it hung, waiting for records where only markers are
        result = await replay(settings, f"replay-{fresh_topic}", seen.append)
    assert result.done == result.total and result.total > 10  # 15 records + markers
    database = await connect(settings, "tests")
    try:
        assert await count_rows(database) == 10
    finally:
        await database.close()
        admin = await connect(db_settings, "tests")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
