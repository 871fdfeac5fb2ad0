"""The batch write: one transaction, idempotent on the command id."""

from collections.abc import Sequence

import asyncpg

from shared.db import Connection
from shared.messages import TimestampCommand
from shared.schema import TABLE

INSERT = f"""
INSERT INTO {TABLE} (id, event_timestamp, accepted_at)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[])
ON CONFLICT (id) DO NOTHING
"""


async def write_batch(connection: Connection, commands: Sequence[TimestampCommand]) -> int:
    """Insert the commands in the caller's transaction; return how many rows were new."""
    if not commands:
        return 0
    status = await connection.execute(
        INSERT,
        [c.command_id for c in commands],
        [c.event_timestamp for c in commands],
        [c.accepted_at for c in commands],
    )
    return int(status.rsplit(" ", 1)[-1])


async def apply_batch(pool: asyncpg.Pool, commands: Sequence[TimestampCommand]) -> int:
    async with pool.acquire() as connection, connection.transaction():
        return await write_batch(connection, commands)
