"""WEB_CONCURRENCY worker processes (shared/workers.py) on real Kafka and PostgreSQL: they
share the port, SIGTERM under load stops them all with exit code 0 and nothing lost, and a
worker that dies is replaced."""

import asyncio
import os
import signal
from pathlib import Path

import asyncpg
import pytest

from harness.processes import ServiceProcess
from harness.stack import Stack
from harness.waiting import eventually
from integration.faults import ANSWERED_OR_GONE, assert_all_delivered
from integration.load import IngestResult, ingest
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
WORKERS = 2


def _workers(service: ServiceProcess) -> set[int]:
    assert service.process is not None
    pid = service.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


async def _start(topic: str, services: list[ServiceProcess]) -> Stack:
    command = ServiceProcess(
        "command_service",
        {"KAFKA_PUBLISH_TOPIC": topic, "KAFKA_ACK_TIMEOUT_S": "2", "WEB_CONCURRENCY": str(WORKERS)},
    ).start()
    stack = Stack(topic, f"g-{topic}", command)
    services.append(command)
    services.append(stack.new_consumer())
    await eventually(lambda: _started(command), 60, f"{WORKERS} workers to start")
    await stack.consumers[0].wait_healthy(path="/ready")
    return stack


async def _started(service: ServiceProcess) -> bool:
    assert service.process is not None and service.process.poll() is None, service.tail()
    lines = service.log_lines()
    return sum("Application startup complete" in line for line in lines) >= WORKERS


async def test_workers_share_the_port_and_stop_cleanly_under_load(
    fresh_topic: str,
    services: list[ServiceProcess],
    db: asyncpg.Pool,
    kafka_settings: KafkaSettings,
) -> None:
    stack = await _start(fresh_topic, services)
    assert len(_workers(stack.command)) == WORKERS
    stop = asyncio.Event()
    progress = IngestResult()
    load = asyncio.create_task(
        ingest(stack.post_url, 10**6, connections=16, stop=stop, result=progress)
    )
    await eventually(lambda: _acked(progress, 500), 60, "commands acknowledged")
    stack.command.signal(signal.SIGTERM)
    assert await stack.command.exit_code(30) == 0, stack.command.tail()
    stop.set()
    result = await load
    assert set(result.statuses) <= ANSWERED_OR_GONE, result.summary()
    assert result.acked
    await assert_all_delivered(db, kafka_settings, stack.topic, result.acked)


async def _acked(progress: IngestResult, at_least: int) -> bool:
    return len(progress.acked) >= at_least


async def test_a_worker_that_dies_is_replaced(
    fresh_topic: str, services: list[ServiceProcess]
) -> None:
    stack = await _start(fresh_topic, services)
    first = _workers(stack.command)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)

    async def replaced() -> bool:
        now = _workers(stack.command)
        return len(now) == WORKERS and victim not in now

    await eventually(replaced, 30, "a new worker in place of the killed one")
    await eventually(lambda: _started_again(stack.command), 60, "the new worker to start")
    result = await ingest(stack.post_url, 200, connections=8)
    assert result.statuses[200] == 200, result.summary()


async def _started_again(service: ServiceProcess) -> bool:
    lines = service.log_lines()
    return sum("Application startup complete" in line for line in lines) >= WORKERS + 1
