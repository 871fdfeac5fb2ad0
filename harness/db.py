"""PostgreSQL look-ups for checks on the product's table."""

from collections.abc import Sequence

import asyncpg

from shared.schema import TABLE


async def count_rows(
    db: asyncpg.Pool | asyncpg.Connection, ids: Sequence[str] | None = None
) -> int:
    """Rows of the table; with `ids`, the rows of those ids."""
    if ids is None:
        return int(await db.fetchval(f"SELECT count(*) FROM {TABLE}"))
    return int(await db.fetchval(f"SELECT count(*) FROM {TABLE} WHERE id = ANY($1::uuid[])", ids))
