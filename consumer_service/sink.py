"""The batch write: one transaction, idempotent on the command id, announcing new ids."""

from collections.abc import Sequence

import asyncpg

from shared.db import Connection
from shared.messages import TimestampCommand
from shared.notifications import sql_notify_new_rows
from shared.schema import TABLE

INSERT = f"""
WITH inserted AS (
    INSERT INTO {TABLE} (id, event_timestamp, accepted_at)
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[])
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
{sql_notify_new_rows("inserted")}
"""


async def write_batch(connection: Connection, commands: Sequence[TimestampCommand]) -> int:
    """Insert the commands in the caller's transaction; return how many rows were new.
    The NOTIFY naming them is delivered when that transaction commits."""
    if not commands:
        return 0
    inserted = await connection.fetchval(
        INSERT,
        [c.command_id for c in commands],
        [c.event_timestamp for c in commands],
        [c.accepted_at for c in commands],
    )
    return int(inserted)


async def apply_batch(pool: asyncpg.Pool, commands: Sequence[TimestampCommand]) -> int:
    async with pool.acquire() as connection, connection.transaction():
        return await write_batch(connection, commands)
