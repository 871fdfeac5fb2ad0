"""The promise under faults: every command answered 200 ends up as exactly one row,
whatever crashes or restarts meanwhile. Each test injects its fault into real processes."""

import asyncio
import os
import signal
import uuid
from functools import partial

import asyncpg
import httpx
import pytest

from consumer_service.faults import CRASH_EXIT_CODE
from harness.db import count_rows
from harness.processes import ServiceProcess
from harness.stack import Stack
from harness.waiting import eventually
from integration.faults import ANSWERED_OR_GONE, assert_all_delivered, devstack
from integration.load import ingest
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
SIZE = int(os.environ.get("FAULT_SUITE_SIZE", "20000"))
KILLS = int(os.environ.get("FAULT_SUITE_KILLS", "5"))
ACK_TIMEOUT_S = 2.0  # the `stack` fixture's (conftest)


async def _rows_grow(db: asyncpg.Pool, than: int) -> int | None:
    count = await count_rows(db)
    return count if count > than else None


async def test_consumer_killed_repeatedly_loses_and_duplicates_nothing(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    # The load runs until every kill is done and SIZE rows are in, however fast either side is.
    stop = asyncio.Event()
    load = asyncio.create_task(ingest(stack.post_url, 100 * SIZE, connections=32, stop=stop))
    seen = before = await count_rows(db)
    stack.consumers[0].kill()
    crashing = stack.new_consumer(FAULT_CRASH_AFTER_DB_COMMIT="3")  # rows in, offsets not
    assert await crashing.exit_code(60) == CRASH_EXIT_CODE, "it did not die between the commits"
    await stack.new_consumer().wait_healthy()
    for _ in range(KILLS):
        seen = await eventually(partial(_rows_grow, db, seen), 60, "the consumer to write rows")
        stack.consumers[-1].kill()  # SIGKILL: mid-batch, or between DB commit and offset commit
        await stack.new_consumer().wait_healthy()
    await eventually(partial(_rows_grow, db, before + SIZE - 1), 300, f"{SIZE} rows")
    stop.set()
    result = await load
    assert result.statuses[200] == len(result.acked) >= SIZE, result.summary()
    await assert_all_delivered(db, kafka_settings, stack.topic, result.acked)


async def test_postgres_outage_is_retried_without_restart_or_dead_letters(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings
) -> None:
    consumer = stack.consumers[0]
    load = asyncio.create_task(ingest(stack.post_url, SIZE // 2, connections=16))
    await eventually(lambda: _rows_grow(db, 0), 60, "rows before the outage")
    await devstack("postgres.sh", "stop")
    try:
        await asyncio.sleep(10)  # the outage itself: PostgreSQL stays down for 10 s
    finally:
        await devstack("postgres.sh", "start")
    result = await load
    assert result.statuses[200] == len(result.acked) == SIZE // 2, result.summary()
    await assert_all_delivered(db, kafka_settings, stack.topic, result.acked)
    assert consumer.process is not None and consumer.process.poll() is None, "consumer restarted"
    assert any('"database write failed; retrying"' in line for line in consumer.log_lines())


async def test_broker_outage_answers_503_in_bound_then_recovers(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings, http: httpx.AsyncClient
) -> None:
    stop = asyncio.Event()
    load = asyncio.create_task(ingest(stack.post_url, 10**6, connections=8, stop=stop))
    await eventually(lambda: _rows_grow(db, 0), 60, "rows before the outage")
    await devstack("kafka.sh", "stop")
    try:
        during = await ingest(stack.post_url, 20, connections=4)
    finally:
        await devstack("kafka.sh", "start")
    assert during.statuses[503] == 20, during.summary()
    waits = sorted(int(value) for value in during.retry_after)
    assert 1 <= waits[0] and waits[-1] <= 5 and waits[-1] >= 2, waits  # grows with the outage
    assert during.slowest_s < ACK_TIMEOUT_S + 1.5, "a request outlived the ack bound"

    async def accepting() -> bool:
        return (await http.post(stack.post_url)).status_code == 200

    await eventually(accepting, 60, "the command service to accept again after the restart")
    after = await ingest(stack.post_url, 500, connections=8)
    stop.set()
    before = await load
    assert after.statuses[200] == 500, after.summary()
    await assert_all_delivered(db, kafka_settings, stack.topic, before.acked + after.acked)


async def test_two_consumers_one_killed_the_other_takes_over(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings, http: httpx.AsyncClient
) -> None:
    second = stack.new_consumer()
    await second.wait_healthy(path="/ready")
    load = asyncio.create_task(ingest(stack.post_url, SIZE // 2, connections=16))
    await eventually(lambda: _rows_grow(db, 0), 60, "rows from the pair")
    stack.consumers[0].kill()
    result = await load
    await assert_all_delivered(db, kafka_settings, stack.topic, result.acked)
    assert second.process is not None and second.process.poll() is None

    async def owns_all() -> bool:
        ready = (await http.get(f"{second.url}/ready")).json()
        return bool(ready["checks"]["kafka"].get("partitions") == 3)

    await eventually(owns_all, 30, "the survivor to own all 3 partitions")


@pytest.mark.parametrize("which", ["command", "consumer"])
async def test_sigterm_under_load_exits_zero_and_loses_nothing(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings, which: str
) -> None:
    stop = asyncio.Event()
    load = asyncio.create_task(ingest(stack.post_url, SIZE // 4, connections=16, stop=stop))
    await eventually(lambda: _rows_grow(db, 0), 60, "rows before the signal")
    target = stack.command if which == "command" else stack.consumers[0]
    target.signal(signal.SIGTERM)
    assert await target.exit_code(30) == 0, target.tail()
    if which == "command":
        stop.set()  # nothing listens any more: the rest would only be refused
    if which == "consumer":
        await stack.new_consumer().wait_healthy()
    result = await load
    if which == "command":
        assert set(result.statuses) <= ANSWERED_OR_GONE, result.summary()
        assert 0 < len(result.acked) < SIZE // 4
    await assert_all_delivered(db, kafka_settings, stack.topic, result.acked)


async def test_query_service_sigterm_exits_zero(services: list[ServiceProcess]) -> None:
    query = ServiceProcess("query_service", {}).start()
    services.append(query)
    await query.wait_healthy()
    url = f"{query.url}/api/v1/timestamp/{uuid.uuid4()}"
    stop = asyncio.Event()
    load = asyncio.create_task(ingest(url, 10**5, connections=8, stop=stop, method="GET"))
    await eventually(lambda: _log_grows(query), 10, "the query service to log")
    query.signal(signal.SIGTERM)
    assert await query.exit_code(30) == 0, query.tail()
    stop.set()
    result = await load
    assert result.statuses[404] > 0, result.summary()
    assert not [s for s in result.statuses if isinstance(s, int) and s >= 500], result.summary()


async def _log_grows(service: ServiceProcess) -> bool:
    return len(service.log_lines()) > 0
