"""The batch write: one transaction, idempotent on the command id, announcing new ids."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import asyncpg

from shared.db import Connection
from shared.messages import Row
from shared.notifications import CHANNEL, EVERYTHING, MAX_RECORDS, sql_notify_new_rows
from shared.schema import TABLE

COLUMNS = ("id", "event_timestamp", "accepted_at")
# From this many rows a batch is first tried as one COPY, several times cheaper for both
# sides than the INSERT … ON CONFLICT below; smaller batches are about latency, not volume.
COPY_MIN_ROWS = 500
assert COPY_MIN_ROWS > MAX_RECORDS  # so a copied batch is always announced as EVERYTHING
# Lines per COPY data message: a batch's text is sent in pieces, never held whole (with its
# copy in asyncpg's write buffer) beside the batches in flight.
COPY_CHUNK_ROWS = 500

INSERT = f"""
WITH inserted AS (
    INSERT INTO {TABLE} ({", ".join(COLUMNS)})
    SELECT id::uuid, event_timestamp::timestamptz, accepted_at::timestamptz
    FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, event_timestamp, accepted_at)
    ON CONFLICT (id) DO NOTHING
    RETURNING id, event_timestamp, accepted_at, created_at
)
{sql_notify_new_rows("inserted")}
"""
NOTIFY_EVERYTHING = f"SELECT pg_notify('{CHANNEL}', '{EVERYTHING}')"
# The rows (0-based) whose id is a row with another event_timestamp. Rows are never updated,
# so after the write the table holds the first payload for every id of the batch.
CONFLICTS = f"""
SELECT r.n - 1 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(id, event_timestamp, n)
JOIN {TABLE} t ON t.id = r.id::uuid
WHERE t.event_timestamp <> r.event_timestamp::timestamptz
ORDER BY r.n
"""


class Pool(Protocol):
    """What the batch write needs of a connection pool (asyncpg's)."""

    def acquire(self) -> AbstractAsyncContextManager[Connection]: ...


async def apply_batch(pool: Pool, rows: Sequence[Row]) -> tuple[int, list[int]]:
    """Write the batch atomically; return how many rows were new, and the indexes of rows in
    conflict: their id is a row with another event timestamp (only looked for when some row
    was not new). The NOTIFY announcing new rows is delivered when the write commits."""
    if not rows:
        return 0, []
    async with pool.acquire() as connection:
        if len(rows) < COPY_MIN_ROWS:  # one statement, atomic on its own: one round trip
            inserted = await _insert(connection, rows)
        else:
            async with connection.transaction():
                if await _copied_if_all_new(connection, rows):
                    await connection.execute(NOTIFY_EVERYTHING)
                    return len(rows), []
                inserted = await _insert(connection, rows)
        if inserted == len(rows):
            return inserted, []
        ids, moments = ([row[i].decode() for row in rows] for i in (0, 1))
        return inserted, [int(n) for (n,) in await connection.fetch(CONFLICTS, ids, moments)]


async def _insert(connection: Connection, rows: Sequence[Row]) -> int:
    columns = ([field.decode() for field in column] for column in zip(*rows, strict=True))
    return int(await connection.fetchval(INSERT, *columns))


async def _copied_if_all_new(connection: Connection, rows: Sequence[Row]) -> bool:
    """COPY every row as new, or nothing (False) when one is already there: a redelivery
    after a crash or a rebalance. The savepoint keeps the transaction usable."""
    try:
        async with connection.transaction():
            await connection.copy_to_table(
                TABLE, source=_copy_text(rows), columns=COLUMNS, format="text"
            )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def _copy_text(rows: Sequence[Row]) -> AsyncIterator[bytes]:
    """The rows as COPY text, COPY_CHUNK_ROWS lines at a time."""
    # In id order, a row's primary-key entry goes next to the one before it, on pages that
    # PostgreSQL has just read: that saved it ~15% of its CPU on 10,000-row batches.
    ordered = sorted(rows)
    for start in range(0, len(ordered), COPY_CHUNK_ROWS):
        yield b"\n".join([*map(b"\t".join, ordered[start : start + COPY_CHUNK_ROWS]), b""])
