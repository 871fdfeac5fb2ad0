"""Reads by id, coalesced: the lookups asked for in one event-loop turn share one query, and
at most IN_FLIGHT such queries run at once; lookups asked for meanwhile wait for the next.

Under load many requests are in flight at once; one `id = ANY($1)` round trip for all of them
costs PostgreSQL and asyncpg far less than one query each, and a lone request still goes out
on the very next turn of the loop. The bound keeps a burst (or a slow moment) from opening a
pool connection per loop turn: new connections are what make a slow moment slower."""

import asyncio
from uuid import UUID

from query_service.records import Pool, fetch_records
from shared.background import DetachedTasks

RecordDocument = str  # a row as the JSON document the query service answers with
IN_FLIGHT = 3


class RecordLookups:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._pending: dict[UUID, list[asyncio.Future[RecordDocument | None]]] = {}
        self._flush_scheduled = False
        self._in_flight = 0
        self._queries = DetachedTasks()

    async def get(self, record_id: UUID) -> RecordDocument | None:
        """The record, or None while it does not exist; raises what the query raised."""
        return await self.lookup(record_id)

    def lookup(self, record_id: UUID) -> "asyncio.Future[RecordDocument | None]":
        """`get` as a future, for a caller that races it against something else."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[RecordDocument | None] = loop.create_future()
        self._pending.setdefault(record_id, []).append(answer)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return answer

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._pending and self._in_flight < IN_FLIGHT:
            pending, self._pending = self._pending, {}
            self._in_flight += 1
            self._queries.start(self._query(pending))

    async def _query(
        self, pending: dict[UUID, list[asyncio.Future[RecordDocument | None]]]
    ) -> None:
        try:
            found = await fetch_records(self._pool, list(pending))
        except Exception as error:  # noqa: BLE001 - handed to every request that asked
            for answers in pending.values():
                for answer in answers:
                    if not answer.done():
                        answer.set_exception(error)
            return
        finally:
            self._in_flight -= 1
            self._flush()  # what was asked for while this query ran
        for record_id, answers in pending.items():
            record = found.get(record_id)
            for answer in answers:
                if not answer.done():  # a request cancelled meanwhile (client gone)
                    answer.set_result(record)
