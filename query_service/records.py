"""SQL reads of the read model: the CQRS view side."""

from datetime import datetime
from uuid import UUID

import asyncpg

from shared.schema import TABLE
from shared.timestamps import format_rfc3339

_BY_ID = f"SELECT id, event_timestamp, accepted_at, created_at FROM {TABLE} WHERE id = $1"


def record_json(row: asyncpg.Record) -> dict[str, str]:
    """Every value a string: the original's Go client decodes into map[string]string."""
    record_id = str(row["id"])
    stamps: tuple[datetime, datetime, datetime] = (
        row["event_timestamp"],
        row["accepted_at"],
        row["created_at"],
    )
    return {
        "id": record_id,
        "command_id": record_id,
        "event_timestamp": format_rfc3339(stamps[0]),
        "accepted_at": format_rfc3339(stamps[1]),
        "created_at": format_rfc3339(stamps[2]),
    }


async def fetch_record(pool: asyncpg.Pool, record_id: UUID) -> dict[str, str] | None:
    try:
        row = await pool.fetchrow(_BY_ID, record_id)
    except asyncpg.UndefinedTableError:  # the consumer has not created the schema yet
        return None
    return None if row is None else record_json(row)
