"""Create the command topic and its dead-letter topic, idempotently."""

import asyncio
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared.kafka import client_kwargs, dead_letter_topic
from shared.settings import KafkaSettings

KEEP_FOREVER = {"retention.ms": "-1"}


@dataclass(frozen=True)
class TopicPlan:
    topic: str
    partitions: int = 6
    replication: int = 1

    def topics(self) -> list[NewTopic]:
        min_isr = str(max(1, min(2, self.replication - 1)))
        configs = {**KEEP_FOREVER, "min.insync.replicas": min_isr}
        return [
            NewTopic(name, self.partitions, self.replication, topic_configs=configs)
            for name in (self.topic, dead_letter_topic(self.topic))
        ]


async def _admin(settings: KafkaSettings, wait_s: float) -> AIOKafkaAdminClient:
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        admin = AIOKafkaAdminClient(**client_kwargs(settings, "ops"))
        try:
            await admin.start()
            return admin
        except KafkaConnectionError:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def ensure_topics(
    settings: KafkaSettings, plan: TopicPlan, wait_s: float = 60
) -> dict[str, str]:
    """Create what is missing; return each topic's name with `created` or `exists`."""
    admin = await _admin(settings, wait_s)
    try:
        existing = set(await admin.list_topics())
        outcome: dict[str, str] = {}
        for new in plan.topics():
            if new.name in existing:
                outcome[new.name] = "exists"
                continue
            try:
                await admin.create_topics([new])
                outcome[new.name] = "created"
            except TopicAlreadyExistsError:
                outcome[new.name] = "exists"
        return outcome
    finally:
        await admin.close()
