"""Fault-suite helpers: a command+consumer stack on its own topic, platform control, and the
delivery check that every acknowledged id is in exactly one place."""

import subprocess
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from integration.harness import ROOT, ServiceProcess, eventually
from shared.kafka import client_kwargs, dead_letter_topic
from shared.settings import KafkaSettings


def devstack(script: str, action: str) -> None:
    """Stop or start a platform server through the devstack scripts (the local platform)."""
    subprocess.run(["bash", str(ROOT / "devstack" / script), action], check=True, timeout=180)


@dataclass
class Stack:
    topic: str
    group: str
    command: ServiceProcess
    consumers: list[ServiceProcess]

    def new_consumer(self, **env: str) -> ServiceProcess:
        consumer = ServiceProcess(
            "consumer_service",
            {
                "KAFKA_CONSUMER_TOPIC": self.topic,
                "KAFKA_GROUP_ID": self.group,
                "KAFKA_SESSION_TIMEOUT_MS": "6000",  # the broker's minimum: faster takeover
                **env,
            },
        ).start()
        self.consumers.append(consumer)
        return consumer

    @property
    def post_url(self) -> str:
        return f"{self.command.url}/app"


async def topic_size(settings: KafkaSettings, topic: str) -> int:
    consumer = AIOKafkaConsumer(**client_kwargs(settings, "tests"))
    await consumer.start()
    try:
        await consumer.topics()  # refreshes the metadata
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        ends = await consumer.end_offsets(tps)
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


async def count_rows(db: asyncpg.Pool, ids: list[str]) -> int:
    value = await db.fetchval(
        "SELECT count(*) FROM timestamp_records WHERE id = ANY($1::uuid[])", ids
    )
    return int(value)


async def assert_all_delivered(
    db: asyncpg.Pool, settings: KafkaSettings, topic: str, acked: list[str], timeout: float = 90
) -> None:
    """Every acknowledged id becomes exactly one row (ids are unique: the key is the PK),
    and nothing of them went to the dead-letter topic."""
    assert len(set(acked)) == len(acked), "the command service handed out an id twice"

    async def all_there() -> bool:
        return await count_rows(db, acked) == len(acked)

    try:
        await eventually(all_there, timeout, f"{len(acked)} acknowledged ids as rows", every=0.25)
    except AssertionError:
        missing = len(acked) - await count_rows(db, acked)
        raise AssertionError(f"{missing} of {len(acked)} acknowledged ids never arrived") from None
    assert await topic_size(settings, dead_letter_topic(topic)) == 0
