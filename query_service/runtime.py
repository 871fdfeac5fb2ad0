"""What the query service serves requests with: the pool, the LISTEN waiters and the
coalesced lookups, open while the app runs."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry

from query_service.lookups import RecordLookups
from query_service.settings import QuerySettings
from query_service.waiting import LISTENER_NAME, RecordWaiters
from shared.db import connect, create_pool
from shared.health import Readiness, check_readiness
from shared.metrics import PoolCollector, collect_while_open
from shared.stopping import StopHooks


@dataclass(frozen=True)
class QueryRuntime:
    settings: QuerySettings
    pool: asyncpg.Pool
    waiters: RecordWaiters
    lookups: RecordLookups

    async def ready(self) -> Readiness:
        return await check_readiness({"database": self._database_ready})

    async def _database_ready(self) -> dict[str, Any]:
        await self.pool.fetchval("SELECT 1", timeout=2)
        waiters = self.waiters
        if not waiters.listening.is_set():
            raise ConnectionError("LISTEN connection not established")
        return {"listening": True, "waiting": waiters.waiting, "relistens": waiters.reconnects}


QueryRuntimeOpener = Callable[
    [QuerySettings, CollectorRegistry, StopHooks], AbstractAsyncContextManager[QueryRuntime]
]


@asynccontextmanager
async def open_runtime(
    settings: QuerySettings, registry: CollectorRegistry, hooks: StopHooks
) -> AsyncIterator[QueryRuntime]:
    async with AsyncExitStack() as stack:
        pool = await create_pool(settings, min_size=0)  # starts even while PostgreSQL is down
        stack.push_async_callback(pool.close)
        waiters = RecordWaiters(lambda: connect(settings, LISTENER_NAME), pool)
        waiters.start()
        stack.push_async_callback(waiters.stop)
        hooks.add(waiters.end_waits)  # a long-poll must not hold the server up as it stops
        collect_while_open(stack, registry, PoolCollector(lambda: pool))
        yield QueryRuntime(settings, pool, waiters, RecordLookups(pool))
