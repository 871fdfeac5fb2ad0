"""Fault-suite helpers: a command+consumer stack on its own topic, platform control, and the
delivery check that every acknowledged id is in exactly one place."""

import asyncio
import os
import subprocess
from dataclasses import dataclass

import asyncpg

from harness.db import count_rows
from harness.kafka import committed_lag, topic_size
from harness.processes import ROOT, ServiceProcess
from harness.stack import Stack
from harness.waiting import eventually
from shared.kafka import dead_letter_topic
from shared.schema import TABLE
from shared.settings import KafkaSettings

FAST_TAKEOVER = {"KAFKA_SESSION_TIMEOUT_MS": "6000"}  # the broker's minimum session timeout
# What a request may see from a command service stopped by SIGTERM: its answer, or no server.
ANSWERED_OR_GONE: set[int | str] = {
    200,
    "ConnectionRefusedError",
    "IncompleteReadError",
    "ConnectionResetError",
}


async def devstack(script: str, action: str) -> None:
    """Stop or start a platform server through the devstack scripts (the local platform), in a
    thread: the load running beside it must not freeze while the server stops or starts."""
    command = ["bash", str(ROOT / "devstack" / script), action]
    await asyncio.to_thread(subprocess.run, command, check=True, timeout=180)


async def start_stack(topic: str, ack_timeout_s: float) -> Stack:
    """A command service and one consumer on `topic`, both answering."""
    command = ServiceProcess(
        "command_service",
        {"KAFKA_PUBLISH_TOPIC": topic, "KAFKA_ACK_TIMEOUT_S": str(ack_timeout_s)},
    ).start()
    stack = Stack(topic, f"g-{topic}", command, env={**FAST_TAKEOVER})
    stack.new_consumer()
    await command.wait_healthy()
    await stack.consumers[0].wait_healthy(path="/ready")
    return stack


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
    counts = await db.fetchrow(
        f"SELECT count(*), count(DISTINCT id) FROM {TABLE} WHERE id = ANY($1::uuid[])", acked
    )
    assert counts is not None
    rows, distinct = int(counts[0]), int(counts[1])
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].rsplit("::", 1)[-1]
    return DeliveryReport(
        test=test,
        acked=len(acked),
        rows=rows,
        dlq=await topic_size(settings, dead_letter_topic(topic)),
        lost=len(set(acked)) - distinct,
        duplicated=(len(acked) - len(set(acked))) + (rows - distinct),
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
