"""Fault-suite helpers: a command+consumer stack on its own topic, platform control, and the
delivery check that every acknowledged id is in exactly one place."""

import os
import subprocess
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

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
    env: dict[str, str] = field(default_factory=dict)  # for every service (KAFKA_BROKER, …)

    def new_consumer(self, **env: str) -> ServiceProcess:
        consumer = ServiceProcess(
            "consumer_service",
            {
                **self.env,
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


async def start_stack(topic: str, ack_timeout_s: float) -> Stack:
    """A command service and one consumer on `topic`, both answering."""
    command = ServiceProcess(
        "command_service",
        {"KAFKA_PUBLISH_TOPIC": topic, "KAFKA_ACK_TIMEOUT_S": str(ack_timeout_s)},
    ).start()
    stack = Stack(topic, f"g-{topic}", command, [])
    stack.new_consumer()
    await command.wait_healthy()
    await stack.consumers[0].wait_healthy(path="/ready")
    return stack


async def end_offsets(settings: KafkaSettings, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(topic, **client_kwargs(settings, "tests"))
    await consumer.start()  # subscribing loads the topic's metadata
    try:
        partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"topic {topic} has no partitions (does it exist?)"
        tps = [TopicPartition(topic, p) for p in partitions]
        return {tp: int(end) for tp, end in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def topic_size(settings: KafkaSettings, topic: str) -> int:
    return sum((await end_offsets(settings, topic)).values())


async def committed_lag(settings: KafkaSettings, group: str, topic: str) -> int | None:
    """Records of `topic` past the group's committed offsets; None while Kafka cannot say."""
    admin = AIOKafkaAdminClient(**client_kwargs(settings, "tests"))
    try:
        await admin.start()
        committed = await admin.list_consumer_group_offsets(group)
        ends = await end_offsets(settings, topic)
    except KafkaError:
        return None
    finally:
        await admin.close()
    return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())


async def count_rows(db: asyncpg.Pool, ids: list[str]) -> int:
    value = await db.fetchval(
        "SELECT count(*) FROM timestamp_records WHERE id = ANY($1::uuid[])", ids
    )
    return int(value)


@dataclass(frozen=True)
class DeliveryReport:
    """One fault test's outcome, for `make chaos`'s summary table."""

    test: str
    acked: int
    rows: int
    dlq: int
    lost: int
    duplicated: int
    unavailable: int | None = None  # requests answered 503, where the test counts them


REPORTS: list[DeliveryReport] = []


async def delivery_report(
    db: asyncpg.Pool,
    settings: KafkaSettings,
    topic: str,
    acked: list[str],
    unavailable: int | None = None,
) -> DeliveryReport:
    rows, distinct = await db.fetchrow(
        "SELECT count(*), count(DISTINCT id) FROM timestamp_records WHERE id = ANY($1::uuid[])",
        acked,
    )
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].rsplit("::", 1)[-1]
    return DeliveryReport(
        test=test,
        acked=len(acked),
        rows=int(rows),
        dlq=await topic_size(settings, dead_letter_topic(topic)),
        lost=len(set(acked)) - int(distinct),
        duplicated=(len(acked) - len(set(acked))) + (int(rows) - int(distinct)),
        unavailable=unavailable,
    )


async def assert_all_delivered(
    db: asyncpg.Pool,
    settings: KafkaSettings,
    topic: str,
    acked: list[str],
    timeout: float = 90,
    unavailable: int | None = None,
    group: str | None = None,
) -> None:
    """Every acknowledged id becomes exactly one row, and none went to the dead-letter topic;
    with `group`, that group's committed offsets also reach the end of the topic (lag 0)."""

    async def all_there() -> bool:
        return await count_rows(db, acked) >= len(set(acked))

    try:
        await eventually(all_there, timeout, f"{len(acked)} acknowledged ids as rows", every=0.25)
    except AssertionError:
        pass  # the report below says how many are missing
    report = await delivery_report(db, settings, topic, acked, unavailable)
    REPORTS.append(report)
    assert (report.lost, report.duplicated, report.dlq) == (0, 0, 0), report
    assert report.rows == report.acked > 0, report
    if group is not None:

        async def caught_up() -> bool:
            return await committed_lag(settings, group, topic) == 0

        await eventually(caught_up, timeout, f"group {group} to commit to the end of {topic}")
