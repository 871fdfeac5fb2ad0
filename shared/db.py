"""The asyncpg pool, built from settings."""

import ssl
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.db_url import parse_db_url
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
    # Configured wrong (user, password, database, privileges, a setting): not the request's
    # fault either, and an operator can fix it without restarting us.
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.CantChangeRuntimeParamError,
    asyncpg.InsufficientPrivilegeError,
)
"""Errors that mean the database is (for now) unusable, not that the request is wrong."""


def ssl_option(settings: DatabaseSettings) -> ssl.SSLContext | str | bool | None:
    """libpq's sslmode semantics; verify-* trust DB_SSLROOTCERT (or the system store).
    None when no DB_SSL* variable is set: asyncpg then follows the URL's ssl* parameters."""
    if settings.db_sslmode is None and settings.db_sslrootcert is None:
        return None
    mode = settings.db_sslmode or parse_db_url(settings.db_url).sslmode or "prefer"
    if mode == "disable":
        return False
    if mode in ("allow", "prefer"):
        return mode
    cafile = None if settings.db_sslrootcert is None else str(settings.db_sslrootcert)
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = mode == "verify-full"
    if mode == "require":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect_kwargs(settings: DatabaseSettings) -> dict[str, Any]:
    """A DB_* variable that is set wins over the URL; what neither says, libpq's defaults."""
    password = settings.db_password
    user = settings.db_username
    if user is None and parse_db_url(settings.db_url).user is None:
        user = "postgres"
    return {
        "dsn": settings.db_url,
        "user": user,
        "password": None if password is None else password.get_secret_value() or None,
        "ssl": ssl_option(settings),
    }


async def _keep_session(_: Connection) -> None:
    """Released connections skip asyncpg's default server-side reset (`RESET ALL; UNLISTEN *;
    …`): a whole extra round trip per query, and we set no session state (LISTEN runs on its
    own connection; advisory locks are transaction-scoped)."""


async def create_pool(settings: DatabaseSettings, min_size: int | None = None) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        **connect_kwargs(settings),
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=settings.db_pool_max,
        reset=_keep_session,
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
