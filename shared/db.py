"""The asyncpg pool, built from settings."""

from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.settings import DatabaseSettings

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"

DATABASE_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""Errors that mean the database is (for now) unreachable, not that the request is wrong."""


def connect_kwargs(settings: DatabaseSettings) -> dict[str, Any]:
    return {
        "dsn": settings.db_url,
        "user": settings.db_username,
        "password": settings.db_password.get_secret_value() or None,
    }


async def create_pool(settings: DatabaseSettings, min_size: int | None = None) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        **connect_kwargs(settings),
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=settings.db_pool_max,
        command_timeout=30,
    )
    assert pool is not None
    return pool


async def connect(settings: DatabaseSettings, application_name: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        **connect_kwargs(settings),
        command_timeout=30,
        server_settings={"application_name": application_name},
    )
