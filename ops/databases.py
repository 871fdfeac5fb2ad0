"""Point the ops commands at a database, creating it (and its schema) when it is new."""

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.db import connect
from shared.schema import ensure_schema
from shared.settings import DatabaseSettings


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


async def ensure_database(settings: DatabaseSettings) -> bool:
    """Create the database named in DB_URL if it does not exist; return whether it did not."""
    created = False
    try:
        connection = await connect(settings, "timestamp-ops")
    except asyncpg.InvalidCatalogNameError:
        parts = urlsplit(settings.db_url)
        maintenance = settings.model_copy(
            update={"db_url": urlunsplit(parts._replace(path="/postgres"))}
        )
        admin = await connect(maintenance, "timestamp-ops")
        try:
            name = _database_name(settings.db_url).replace('"', '""')
            await admin.execute(f'CREATE DATABASE "{name}"')
            created = True
        finally:
            await admin.close()
        connection = await connect(settings, "timestamp-ops")
    try:
        await ensure_schema(connection)
    finally:
        await connection.close()
    return created
