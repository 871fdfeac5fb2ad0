"""SQL reads of the read model: the CQRS view side."""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

import asyncpg

from shared.record_json import RECORD_JSON
from shared.schema import TABLE
from shared.timestamps import format_rfc3339, parse_rfc3339

_BY_IDS = f"SELECT id, {RECORD_JSON} AS body FROM {TABLE} WHERE id = ANY($1::uuid[])"
# Keyset pagination on (event_timestamp, id), served by the index of the same name. Moments
# are bound as text: asyncpg would send datetime.min/max as -infinity/infinity.
_PAGE = f"""
SELECT id, event_timestamp, {RECORD_JSON} AS body FROM {TABLE}
WHERE ($1::text IS NULL OR event_timestamp >= $1::text::timestamptz)
  AND ($2::text IS NULL OR event_timestamp < $2::text::timestamptz)
  AND ($3::text IS NULL OR (event_timestamp, id) > ($3::text::timestamptz, $4::uuid))
ORDER BY event_timestamp, id
LIMIT $5
"""


class Pool(Protocol):
    """What the reads need of a connection pool (asyncpg's)."""

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]: ...


async def fetch_records(pool: Pool, ids: list[UUID]) -> dict[UUID, str]:
    """The JSON documents of those ids that exist, by id."""
    try:
        rows = await pool.fetch(_BY_IDS, ids)
    except asyncpg.UndefinedTableError:  # the consumer has not created the schema yet
        return {}
    return {row["id"]: row["body"] for row in rows}


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last (event_timestamp, id) it returned."""

    event_timestamp: datetime
    id: UUID

    def encode(self) -> str:
        raw = f"{self.event_timestamp.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> "Position":
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            stamp, record_id = raw.split("|")
            # Strict, and in range once in UTC: `0001-01-01T00:00:00+05:00` is not a moment.
            return cls(parse_rfc3339(stamp), UUID(record_id))
        except ValueError:
            raise InvalidCursor("cursor is not one this service handed out") from None


@dataclass(frozen=True)
class Page:
    items: list[str]  # JSON documents
    next: Position | None

    def json(self) -> bytes:
        cursor = "null" if self.next is None else f'"{self.next.encode()}"'
        return f'{{"items":[{",".join(self.items)}],"next_cursor":{cursor}}}'.encode()


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else format_rfc3339(moment)


async def fetch_page(
    pool: Pool,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    after: Position | None,
) -> Page:
    """Up to `limit` records with start <= event_timestamp < end, after `after`."""
    try:
        rows = await pool.fetch(
            _PAGE,
            _text(start),
            _text(end),
            None if after is None else _text(after.event_timestamp),
            None if after is None else after.id,
            limit,
        )
    except asyncpg.UndefinedTableError:
        return Page([], None)
    last = rows[-1] if len(rows) == limit else None
    return Page(
        [row["body"] for row in rows],
        None if last is None else Position(last["event_timestamp"], last["id"]),
    )
