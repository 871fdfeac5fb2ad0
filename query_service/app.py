"""The query service's app factory and lifespan."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from query_service.lookups import RecordLookups
from query_service.routes import LANE, router
from query_service.settings import QuerySettings
from query_service.waiting import LISTENER_NAME, RecordWaiters
from shared.app import build_app
from shared.db import connect, create_pool
from shared.health import ReadinessCheck
from shared.metrics import PoolCollector
from shared.stopping import stop_hooks


def create_app(settings: QuerySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(settings, min_size=0)  # starts even while PostgreSQL is down
        waiters = RecordWaiters(lambda: connect(settings, LISTENER_NAME), pool)
        waiters.start()
        stop_hooks(app).add(waiters.end_waits)
        app.state.pool, app.state.waiters = pool, waiters
        app.state.lookups = RecordLookups(pool)
        try:
            yield
        finally:
            await waiters.stop()
            await pool.close()

    def checks(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"database": lambda: _database_ready(app)}

    app = build_app(
        settings,
        "timestamp query service",
        "Reads timestamp records back by ticket id, waits for them, and lists them by time.",
        lifespan,
        checks,
        [router],
        LANE,
    )
    app.state.registry.register(PoolCollector(lambda: getattr(app.state, "pool", None)))
    return app


async def _database_ready(app: FastAPI) -> dict[str, Any]:
    await app.state.pool.fetchval("SELECT 1", timeout=2)
    waiters: RecordWaiters = app.state.waiters
    if not waiters.listening.is_set():
        raise ConnectionError("LISTEN connection not established")
    return {"listening": True, "waiting": waiters.waiting, "relistens": waiters.reconnects}
