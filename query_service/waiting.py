"""Read-your-writes without polling: one LISTEN connection wakes exactly the waiters concerned.

The consumer NOTIFYs the rows of each committed batch (shared/notifications.py). Waiters are
futures keyed by id, resolved with the record's JSON document: straight from the notification
when it carries it, else (EVERYTHING) from one query for every waiter. When the LISTEN
connection is lost, notifications sent meanwhile are lost too, so after re-listening every
waiter is re-read against the table once.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from uuid import UUID

import asyncpg
import structlog

from query_service.records import Pool, fetch_records
from shared.background import DetachedTasks
from shared.db import Connection
from shared.notifications import CHANNEL, decode_payload

_log = structlog.get_logger("waiting")
LISTENER_NAME = "timestamp-query-listener"  # application_name of the LISTEN connection
Connect = Callable[[], Awaitable[asyncpg.Connection]]


class WaitEnded(Exception):
    """The service is stopping: the wait ends now, as if its time had run out."""


class RecordWaiters:
    def __init__(self, connect: Connect, pool: Pool, ping_every_s: float = 2.0) -> None:
        self._connect = connect
        self._pool = pool
        self._ping_every_s = ping_every_s
        self._waiters: dict[UUID, set[asyncio.Future[str]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._rechecks = DetachedTasks()
        self.listening = asyncio.Event()
        self.reconnects = 0
        self._ended = False

    @property
    def waiting(self) -> int:
        return sum(map(len, self._waiters.values()))

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_listening(), name="listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def end_waits(self) -> None:
        """Every wait, present and future, ends at once with WaitEnded (the service stops)."""
        self._ended = True
        for futures in self._waiters.values():
            for arrived in futures:
                if not arrived.done():
                    arrived.set_exception(WaitEnded())

    @asynccontextmanager
    async def waiter(self, record_id: UUID) -> AsyncIterator["asyncio.Future[str]"]:
        """Register before re-checking the table, so no notification falls in between.
        The future's result is the record's JSON document; WaitEnded once end_waits ran."""
        arrived: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if self._ended:
            arrived.set_exception(WaitEnded())
        self._waiters.setdefault(record_id, set()).add(arrived)
        try:
            yield arrived
        finally:
            futures = self._waiters.get(record_id)
            if futures is not None:
                futures.discard(arrived)
                if not futures:
                    del self._waiters[record_id]

    def _wake(self, documents: Mapping[UUID, str]) -> None:
        for record_id in documents.keys() & self._waiters.keys():
            for arrived in self._waiters[record_id]:
                if not arrived.done():
                    arrived.set_result(documents[record_id])

    def _on_notification(self, _: Connection, __: int, ___: str, payload: object) -> None:
        documents = decode_payload(str(payload))
        if documents is None:
            self._rechecks.start(self._recheck_all())
        else:
            self._wake(documents)

    async def _recheck_all(self) -> None:
        if self._waiters:
            self._wake(await fetch_records(self._pool, list(self._waiters)))

    async def _keep_listening(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any loss means: reconnect
                _log.warning("LISTEN connection lost; reconnecting", error=type(error).__name__)
            self.listening.clear()
            self.reconnects += 1
            await asyncio.sleep(0.5)

    async def _listen_once(self) -> None:
        connection = await self._connect()
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(CHANNEL, self._on_notification)
            self.listening.set()
            await self._recheck_all()  # whatever committed while nobody listened
            while not lost.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._ping_every_s)
                await connection.fetchval("SELECT 1", timeout=self._ping_every_s)
            raise ConnectionError("the LISTEN connection was closed")
        finally:
            connection.terminate()
