"""The query service's app factory and lifespan."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

from query_service.routes import router
from query_service.settings import QuerySettings
from shared.app import build_app
from shared.db import create_pool
from shared.health import ReadinessCheck


def create_app(settings: QuerySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(settings, min_size=0)  # starts even while PostgreSQL is down
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    def checks(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"database": lambda: _database_ready(app.state.pool)}

    app = build_app(
        "timestamp query service",
        "Reads timestamp records back by ticket id.",
        lifespan,
        checks,
    )
    app.state.settings = settings
    app.include_router(router)
    return app


async def _database_ready(pool: asyncpg.Pool) -> dict[str, Any]:
    await pool.fetchval("SELECT 1", timeout=2)
    return {}
