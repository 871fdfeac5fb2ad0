"""consumer_service/faults.py: the crash the fault suite injects lands between a batch's
database commit and its offset commit, and nothing is injected unless asked for."""

import asyncio
import os

import pytest
from prometheus_client import CollectorRegistry

from consumer_service import faults
from consumer_service import loop as loop_module
from consumer_service.faults import CRASH_EXIT_CODE, CrashAfterDbCommit
from consumer_service.loop import Batch, ConsumeLoop, nothing
from consumer_service.metrics import ConsumerMetrics
from consumer_service.settings import ConsumerSettings
from tests.test_loop_dead_letters import (
    P0,
    FakeConsumer,
    FakeDeadLetters,
    FakeSink,
    command,
    feed,
    record,
    until,
)
from tests.unused_database import UnusedPool


class Exited(Exception):
    pass


def _exit(code: int) -> None:
    raise Exited(code)


def test_no_fault_unless_asked_for() -> None:
    assert faults.after_db_commit(ConsumerSettings()) is nothing
    assert isinstance(
        faults.after_db_commit(ConsumerSettings(fault_crash_after_db_commit=3)), CrashAfterDbCommit
    )


def test_the_crash_comes_after_the_nth_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "_exit", _exit)
    crash = CrashAfterDbCommit(3)
    crash()
    crash()
    with pytest.raises(Exited) as exited:
        crash()
    assert exited.value.args == (CRASH_EXIT_CODE,)


async def test_the_hook_runs_after_the_rows_are_in_before_their_offsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink, consumer = FakeSink(), FakeConsumer()
    monkeypatch.setattr(loop_module, "apply_batch", sink)
    seen: list[tuple[int, int | None]] = []  # (rows written, offset committed) at each call

    def after_db_commit() -> None:
        seen.append((len(sink.rows), consumer.committed(P0)))

    settings = ConsumerSettings(retry_initial_s=0.01, retry_max_s=0.02)
    metrics = ConsumerMetrics(CollectorRegistry())
    loop = ConsumeLoop(
        consumer,
        UnusedPool(),
        FakeDeadLetters(),
        settings,
        metrics,
        after_db_commit,
    )
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    running = asyncio.create_task(loop.run_pipelined(feed(batches)))
    await batches.put({P0: [record(P0, 0, command(0))]})
    await until(lambda: consumer.committed(P0) == 1, "the first batch committed")
    await batches.put({P0: [record(P0, 1, command(1))]})
    await until(lambda: consumer.committed(P0) == 2, "the second batch committed")
    await batches.put(None)
    await running
    assert seen == [(1, None), (2, 1)]
