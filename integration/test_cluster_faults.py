"""The promise on a replicated cluster: three KRaft nodes, replication 3,
min.insync.replicas=2, no unclean election. Each test runs a steady ingest through the command
service while it kills, pauses or restarts brokers; then every id answered 200 is exactly one
row, the DLQ is empty and the group has committed to the end of the topic. `make chaos` runs
the full size (CLUSTER_FAULT_*), `make test` a short one."""

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from harness.processes import ROOT, ServiceProcess
from harness.stack import Stack
from harness.waiting import eventually
from integration.cluster import NODES, Cluster
from integration.faults import FAST_TAKEOVER, assert_all_delivered
from integration.load import IngestResult, ingest
from ops.topics import TopicPlan, ensure_topics

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
SIZE = int(os.environ.get("CLUSTER_FAULT_SIZE", "2000"))
KILLS = int(os.environ.get("CLUSTER_FAULT_KILLS", "1"))
PAUSE_S = float(os.environ.get("CLUSTER_FAULT_PAUSE_S", "6"))
ROLLS = int(os.environ.get("CLUSTER_FAULT_ROLLED", "1"))  # nodes the rolling restart restarts
ACK_TIMEOUT_S = 3.0
OFFSETS = "__consumer_offsets"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = Cluster(ROOT / ".local" / "cluster-it")
    cluster.stop()  # one a killed run left behind, by its pid files
    shutil.rmtree(cluster.home, ignore_errors=True)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def stack(cluster: Cluster, services: list[ServiceProcess]) -> AsyncIterator[Stack]:
    await cluster.in_sync()  # what an earlier test left down is back first
    topic = f"it.{uuid.uuid4().hex[:12]}"
    await ensure_topics(cluster.settings, TopicPlan(topic, partitions=3, replication=3))
    env = {"KAFKA_BROKER": cluster.bootstrap}
    command = ServiceProcess(
        "command_service",
        {**env, "KAFKA_PUBLISH_TOPIC": topic, "KAFKA_ACK_TIMEOUT_S": str(ACK_TIMEOUT_S)},
    ).start()
    services.append(command)
    stack = Stack(topic, f"g-{topic}", command, env={**env, **FAST_TAKEOVER})
    stack.new_consumer()
    await command.wait_healthy()
    await stack.consumers[0].wait_healthy(path="/ready")
    await cluster.in_sync(topic, OFFSETS)
    yield stack
    services += stack.consumers


class Load:
    """A steady ingest through the command service until `finish`, watched while it runs."""

    def __init__(self, stack: Stack) -> None:
        self.result = IngestResult()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(
            ingest(stack.post_url, 10**9, connections=16, stop=self._stop, result=self.result)
        )

    async def acks_sent_after(self, moment: float, what: str, timeout: float = 90) -> None:
        """Until a request sent after `moment` is answered 200 (answers are appended as they
        come, so a recent one is near the end)."""

        async def acked() -> bool:
            return any(sent > moment for sent in self.result.acked_sent_at[-256:])

        await eventually(acked, timeout, what, every=0.1)

    async def finish(self) -> IngestResult:
        async def enough() -> bool:
            return len(self.result.acked) >= SIZE

        await eventually(enough, 600, f"{SIZE} acknowledged commands", every=0.1)
        return await self.stop()

    async def stop(self) -> IngestResult:
        self._stop.set()
        return await self._task


@pytest.fixture
async def load(stack: Stack) -> AsyncIterator[Load]:
    """A steady ingest that has had its first commands acknowledged; stopped after the test
    however it ends."""
    load = Load(stack)
    try:
        await load.acks_sent_after(0.0, "the first acknowledged commands")
        yield load
    finally:
        await load.stop()


async def _all_delivered(stack: Stack, cluster: Cluster, db: asyncpg.Pool, load: Load) -> None:
    result = await load.finish()
    assert set(result.statuses) <= {200, 503}, result.summary()
    await assert_all_delivered(
        db,
        cluster.settings,
        stack.topic,
        result.acked,
        timeout=180,
        unavailable=result.statuses[503],
        group=stack.group,
    )


async def test_topics_are_replicated_with_min_isr_2(stack: Stack, cluster: Cluster) -> None:
    again = await ensure_topics(
        cluster.settings, TopicPlan(stack.topic, partitions=3, replication=3)
    )
    assert all(state.ok and not state.created for state in again.values()), again
    partitions = await cluster.partitions(stack.topic)
    assert partitions is not None and all(len(p.isr) == 3 for p in partitions), partitions


async def test_leader_killed_repeatedly_loses_and_duplicates_nothing(
    stack: Stack, cluster: Cluster, db: asyncpg.Pool, load: Load
) -> None:
    for _ in range(KILLS):
        leader = await cluster.busiest_leader(stack.topic)
        await cluster.kill(leader)
        await load.acks_sent_after(time.monotonic(), f"acks with node {leader} dead")
        await cluster.start_node(leader)
        await cluster.in_sync(stack.topic, OFFSETS)
    await _all_delivered(stack, cluster, db, load)


async def test_paused_broker_loses_and_duplicates_nothing(
    stack: Stack, cluster: Cluster, db: asyncpg.Pool, load: Load
) -> None:
    zombie = await cluster.busiest_leader(stack.topic)
    cluster.pause(zombie)  # SIGSTOP: its sockets stay open, it answers nothing
    try:
        await asyncio.sleep(PAUSE_S)  # the fault itself: the node stays paused this long

        async def led_by_others() -> bool:
            partitions = await cluster.partitions(stack.topic)
            return partitions is not None and all(p.leader not in (zombie, -1) for p in partitions)

        await eventually(led_by_others, 30, f"the others to lead what node {zombie} led")
        await load.acks_sent_after(time.monotonic(), f"acks with node {zombie} paused")
    finally:
        cluster.resume(zombie)
    await cluster.in_sync(stack.topic, OFFSETS)
    await _all_delivered(stack, cluster, db, load)


async def test_two_of_three_down_answers_503_never_200_then_recovers(
    stack: Stack, cluster: Cluster, db: asyncpg.Pool, load: Load
) -> None:
    leader = await cluster.busiest_leader(stack.topic)
    down = [leader, next(node for node in NODES if node != leader)]
    for node in down:
        await cluster.kill(node)
    down_since = time.monotonic()  # from here one replica is alive: fewer than min.insync.replicas
    try:
        during = await ingest(stack.post_url, 20, connections=4)
    finally:
        up_since = time.monotonic()
        for node in down:
            await cluster.start_node(node)
    assert during.statuses == {503: 20}, during.summary()
    sent_while_down = [t for t in load.result.acked_sent_at if down_since <= t <= up_since]
    assert not sent_while_down, f"{len(sent_while_down)} requests answered 200 with one replica"
    await load.acks_sent_after(up_since, "the command service to accept again by itself", 120)
    await cluster.in_sync(stack.topic, OFFSETS)
    await _all_delivered(stack, cluster, db, load)


async def test_rolling_restart_under_load_fails_nothing_beyond_503(
    stack: Stack, cluster: Cluster, db: asyncpg.Pool, load: Load
) -> None:
    for node in NODES[:ROLLS]:
        await cluster.stop_node(node)
        await cluster.start_node(node)
        await cluster.in_sync(stack.topic, OFFSETS)
        await load.acks_sent_after(time.monotonic(), f"acks after node {node} restarted")
    await _all_delivered(stack, cluster, db, load)
