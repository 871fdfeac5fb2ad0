"""Create the command topic and its dead-letter topic, idempotently, and check that topics
which already exist are what the plan says: retention, partitions, min.insync.replicas."""

import asyncio
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared.kafka import client_kwargs, dead_letter_topic
from shared.settings import KafkaSettings

KEEP_FOREVER = {"retention.ms": "-1"}
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class TopicPlan:
    topic: str
    partitions: int = DEFAULT_PARTITIONS
    replication: int = 1

    @property
    def configs(self) -> dict[str, str]:
        return {**KEEP_FOREVER, "min.insync.replicas": str(max(1, min(2, self.replication - 1)))}

    @property
    def checked_configs(self) -> dict[str, str]:
        """What an existing topic must have (min.insync.replicas matters from R = 3 on)."""
        return self.configs if self.replication >= 3 else KEEP_FOREVER

    def topics(self) -> list[NewTopic]:
        return [
            NewTopic(name, self.partitions, self.replication, topic_configs=self.configs)
            for name in (self.topic, dead_letter_topic(self.topic))
        ]


@dataclass
class TopicState:
    """`created`, `ok`, or what differs from the plan (and what --fix changed)."""

    name: str
    created: bool = False
    differs: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differs

    def __str__(self) -> str:
        if self.created:
            return "created"
        parts = [f"fixed {item}" for item in self.fixed] + [f"DIFFERS {d}" for d in self.differs]
        return "; ".join(parts) or "ok"


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
    settings: KafkaSettings, plan: TopicPlan, wait_s: float = 60, fix: bool = False
) -> dict[str, TopicState]:
    """Create what is missing and check what exists; with `fix`, set configs that differ.
    A partition count is reported, never changed: adding partitions moves keys."""
    admin = await _admin(settings, wait_s)
    try:
        existing = set(await admin.list_topics())
        outcome: dict[str, TopicState] = {}
        for new in plan.topics():
            state = outcome[new.name] = TopicState(new.name)
            if new.name not in existing:
                try:
                    await admin.create_topics([new])
                    state.created = True
                    continue
                except TopicAlreadyExistsError:
                    pass
            await _check(admin, plan, state, fix)
        return outcome
    finally:
        await admin.close()


async def _check(admin: AIOKafkaAdminClient, plan: TopicPlan, state: TopicState, fix: bool) -> None:
    (described,) = await admin.describe_topics([state.name])
    partitions = len(described["partitions"])
    if partitions != plan.partitions:
        state.differs.append(
            f"partitions={partitions}, expected {plan.partitions} (not fixed: adding partitions "
            "moves keys; recreate the topic or use --partitions to match)"
        )
    dynamic, current = await _configs(admin, state.name)
    wrong = {
        name: value for name, value in plan.checked_configs.items() if current.get(name) != value
    }
    if wrong and fix:
        resource = ConfigResource(ConfigResourceType.TOPIC, state.name, {**dynamic, **wrong})
        await admin.alter_configs([resource])  # replaces every dynamic config: the others kept
        state.fixed += [
            f"{name}={value} (was {current.get(name)})" for name, value in wrong.items()
        ]
    elif wrong:
        state.differs += [
            f"{name}={current.get(name)}, expected {value}" for name, value in wrong.items()
        ]


_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself


async def _configs(admin: AIOKafkaAdminClient, topic: str) -> tuple[dict[str, str], dict[str, str]]:
    """The topic's own configs, and every config in effect for it."""
    resource = ConfigResource(ConfigResourceType.TOPIC, topic)
    (response,) = await admin.describe_configs([resource])
    (described,) = response.to_object()["resources"]
    entries = described["config_entries"]
    current = {entry["config_names"]: entry["config_value"] for entry in entries}
    dynamic = {
        entry["config_names"]: entry["config_value"]
        for entry in entries
        if entry["config_source"] == _DYNAMIC_TOPIC_CONFIG
    }
    return dynamic, current
