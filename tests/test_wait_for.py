"""query_service/reading.py `wait_for`: the look and the wake-up race; either may answer."""

import asyncio
import gc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import pytest

from query_service.reading import wait_for
from query_service.waiting import RecordWaiters, WaitEnded
from tests.unused_database import UnusedPool, no_connection

DOCUMENT = '{"id":"x"}'


class FakeLookups:
    def __init__(self) -> None:
        self.answers: list[asyncio.Future[str | None]] = []

    def lookup(self, record_id: UUID) -> "asyncio.Future[str | None]":
        self.answers.append(asyncio.get_running_loop().create_future())
        return self.answers[-1]

    async def get(self, record_id: UUID) -> str | None:
        return await self.lookup(record_id)


class FakeWaiters:
    def __init__(self) -> None:
        self.arrived: asyncio.Future[str] | None = None

    @asynccontextmanager
    async def waiter(self, record_id: UUID) -> AsyncIterator["asyncio.Future[str]"]:
        self.arrived = asyncio.get_running_loop().create_future()
        yield self.arrived


async def _started(lookups: FakeLookups, waiters: FakeWaiters) -> "asyncio.Task[str | None]":
    waiting = asyncio.create_task(wait_for(uuid.uuid4(), 5, lookups, waiters))
    for _ in range(3):
        await asyncio.sleep(0)
    assert lookups.answers and waiters.arrived is not None
    return waiting


async def test_the_wake_up_answers_while_the_look_is_still_out() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    assert waiters.arrived is not None
    waiters.arrived.set_result(DOCUMENT)
    assert await asyncio.wait_for(waiting, 1) == DOCUMENT
    assert not lookups.answers[0].done()  # answered without it


async def test_the_look_answers_when_the_record_is_already_there() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    lookups.answers[0].set_result(DOCUMENT)
    assert await asyncio.wait_for(waiting, 1) == DOCUMENT


async def test_a_miss_keeps_waiting_for_the_wake_up() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    lookups.answers[0].set_result(None)
    await asyncio.sleep(0)
    assert not waiting.done()
    assert waiters.arrived is not None
    waiters.arrived.set_result(DOCUMENT)
    assert await asyncio.wait_for(waiting, 1) == DOCUMENT


async def test_a_failed_look_is_raised() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    lookups.answers[0].set_exception(ConnectionRefusedError("database down"))
    with pytest.raises(ConnectionRefusedError):
        await asyncio.wait_for(waiting, 1)


async def test_a_look_that_times_out_is_raised_not_taken_for_the_wait_ending() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    lookups.answers[0].set_exception(TimeoutError("query timed out"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(waiting, 1)
    assert len(lookups.answers) == 1  # no second look


async def test_a_look_that_fails_after_the_wake_up_is_retrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    assert waiters.arrived is not None
    waiters.arrived.set_result(DOCUMENT)
    assert await asyncio.wait_for(waiting, 1) == DOCUMENT
    lookups.answers[0].set_exception(ConnectionRefusedError("database down"))
    await asyncio.sleep(0)
    del lookups.answers[:]  # the future is gone: asyncio would log an unretrieved exception
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_when_the_wait_ends_a_look_still_out_is_awaited_not_repeated() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = asyncio.create_task(wait_for(uuid.uuid4(), 0.05, lookups, waiters))
    await asyncio.sleep(0.1)
    assert not waiting.done() and len(lookups.answers) == 1
    lookups.answers[0].set_result(DOCUMENT)
    assert await asyncio.wait_for(waiting, 1) == DOCUMENT


async def test_a_wait_ended_by_the_stop_takes_one_last_look() -> None:
    lookups, waiters = FakeLookups(), FakeWaiters()
    waiting = await _started(lookups, waiters)
    lookups.answers[0].set_result(None)
    assert waiters.arrived is not None
    waiters.arrived.set_exception(WaitEnded())
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(lookups.answers) == 2
    lookups.answers[1].set_result(DOCUMENT)  # committed meanwhile, its notification not seen
    assert await asyncio.wait_for(waiting, 1) == DOCUMENT


async def test_end_waits_ends_every_wait_and_every_later_one() -> None:
    waiters = RecordWaiters(connect=no_connection, pool=UnusedPool())
    async with waiters.waiter(uuid.uuid4()) as first, waiters.waiter(uuid.uuid4()) as second:
        waiters.end_waits()
        for arrived in (first, second):
            with pytest.raises(WaitEnded):
                await arrived
    async with waiters.waiter(uuid.uuid4()) as later:
        with pytest.raises(WaitEnded):
            await later
    assert waiters.waiting == 0
