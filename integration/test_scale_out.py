"""Scale-out: a 6-partition topic shared by 3 consumer processes."""

import asyncio
import json
import uuid

import asyncpg
import httpx
import pytest

from harness.processes import ServiceProcess
from harness.stack import Stack
from harness.waiting import eventually
from integration.faults import FAST_TAKEOVER, assert_all_delivered
from integration.load import ingest
from ops.topics import TopicPlan, ensure_topics
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
PARTITIONS, CONSUMERS, COMMANDS = 6, 3, 20_000


async def owned(http: httpx.AsyncClient, consumer: ServiceProcess) -> set[str]:
    try:
        response = await http.get(f"{consumer.url}/ready")
    except httpx.TransportError:  # not listening yet
        return set()
    return set(response.json()["checks"]["kafka"].get("lag", {}))


async def test_three_consumers_share_six_partitions_and_survive_losing_one(
    kafka_settings: KafkaSettings,
    db: asyncpg.Pool,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
) -> None:
    topic = f"it.{uuid.uuid4().hex[:12]}"
    await ensure_topics(kafka_settings, TopicPlan(topic, partitions=PARTITIONS))
    command = ServiceProcess("command_service", {"KAFKA_PUBLISH_TOPIC": topic}).start()
    stack = Stack(topic, f"g-{topic}", command, env={**FAST_TAKEOVER})
    consumers = [stack.new_consumer(LOG_LEVEL="DEBUG") for _ in range(CONSUMERS)]  # per-batch lines
    services += [command, *consumers]
    await command.wait_healthy()

    async def spread() -> list[set[str]] | None:
        assignment = [await owned(http, c) for c in consumers]
        everything = set().union(*assignment)
        balanced = all(len(a) == PARTITIONS // CONSUMERS for a in assignment)
        return assignment if balanced and len(everything) == PARTITIONS else None

    before = await eventually(spread, 60, "6 partitions spread over 3 consumers", every=0.5)
    print("assignment before:", [sorted(a) for a in before])
    load = asyncio.create_task(ingest(f"{command.url}/app", COMMANDS, connections=32))
    await asyncio.sleep(1)  # let the load run a little before losing a consumer
    consumers[0].stop()  # SIGTERM: leaves the group; its partitions move

    async def moved() -> list[set[str]] | None:
        assignment = [await owned(http, c) for c in consumers[1:]]
        return assignment if len(set().union(*assignment)) == PARTITIONS else None

    after = await eventually(moved, 60, "the survivors to own all 6 partitions", every=0.5)
    print("assignment after:", [sorted(a) for a in after])
    result = await load
    await assert_all_delivered(db, kafka_settings, topic, result.acked)
    assert len(result.acked) == COMMANDS, result.summary()
    print("commands applied per consumer:", [applied(c) for c in consumers])


def applied(consumer: ServiceProcess) -> int:
    lines = [json.loads(line) for line in consumer.log_lines() if '"batch applied"' in line]
    return sum(int(line["commands"]) for line in lines)
