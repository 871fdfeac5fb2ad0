"""The read model's DDL: its one owner. Safe to run from many processes at once."""

from shared.db import Connection

TABLE = "timestamp_records"
_LOCK_KEY = 0x7473_6371  # "tscq": serialises concurrent CREATE … IF NOT EXISTS

DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id              uuid        PRIMARY KEY,
    event_timestamp timestamptz NOT NULL,
    accepted_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {TABLE}_event_timestamp_id_idx ON {TABLE} (event_timestamp, id);
"""


async def ensure_schema(connection: Connection) -> None:
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await connection.execute(DDL)
