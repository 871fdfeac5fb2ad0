"""`timestamp-ops topics ensure` checks existing topics, not only their names."""

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from harness.processes import ops
from ops.topics import _configs
from shared.kafka import dead_letter_topic

pytestmark = [pytest.mark.kafka]
WEEK_MS = str(7 * 24 * 3600 * 1000)


async def test_a_topic_with_7_day_retention_and_one_partition_is_named_and_fixed(
    admin: AIOKafkaAdminClient,
) -> None:
    topic = f"it.ensure.{uuid.uuid4().hex[:10]}"
    configs = {"retention.ms": WEEK_MS, "max.message.bytes": "200000"}
    await admin.create_topics(
        [NewTopic(name, 1, 1, topic_configs=configs) for name in (topic, dead_letter_topic(topic))]
    )

    def ensure(*args: str) -> tuple[int, str]:
        done = ops("topics", "ensure", "--topic", topic, *args)
        return done.returncode, done.stdout + done.stderr

    code, output = await asyncio.to_thread(ensure, "--partitions", "3")
    assert code == 1, output
    assert f"{topic}: " in output and f"retention.ms={WEEK_MS}, expected -1" in output
    assert "partitions=1, expected 3" in output
    code, output = await asyncio.to_thread(ensure, "--partitions", "3", "--fix")
    assert code == 1 and "fixed retention.ms=-1" in output, output  # partitions: reported only
    code, output = await asyncio.to_thread(ensure, "--partitions", "1")
    assert code == 0, output
    assert output.count(": ok") == 2
    _, current = await _configs(admin, topic)
    assert (current["retention.ms"], current["max.message.bytes"]) == ("-1", "200000")
