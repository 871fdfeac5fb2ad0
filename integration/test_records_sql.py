"""The read side's JSON is rendered by PostgreSQL (query_service/records.py): it must be
exactly what shared.timestamps.format_rfc3339 renders, edge cases included."""

import uuid
from datetime import UTC, datetime

import asyncpg
import orjson
import pytest

from query_service.records import fetch_page, fetch_records
from shared.record_json import MAX_TEXT, MIN_TEXT
from shared.schema import TABLE
from shared.timestamps import format_rfc3339

pytestmark = [pytest.mark.postgres]

MOMENTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2009, 9, 28, 19, 3, 12, tzinfo=UTC),
    datetime(2009, 9, 28, 19, 3, 10, 100000, tzinfo=UTC),
    datetime(2009, 9, 28, 19, 3, 0, 1, tzinfo=UTC),
    datetime(2009, 9, 28, 19, 0, 0, 120, tzinfo=UTC),
    datetime(2026, 11, 25, 20, 0, 0, 250000, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


async def test_postgres_renders_records_as_format_rfc3339_does(db: asyncpg.Pool) -> None:
    # As text, the way the consumer writes: asyncpg would send the extreme datetimes as
    # ±infinity (its mapping of datetime.min/max).
    rows = [(uuid.uuid4(), moment, format_rfc3339(moment)) for moment in MOMENTS]
    await db.executemany(
        f"INSERT INTO {TABLE} (id, event_timestamp, accepted_at, created_at) "
        "VALUES ($1, $2::text::timestamptz, $2::text::timestamptz, $2::text::timestamptz)",
        [(record_id, text) for record_id, _, text in rows],
    )
    found = await fetch_records(db, [row[0] for row in rows])
    for record_id, _, text in rows:
        assert orjson.loads(found[record_id]) == {
            "id": str(record_id),
            "command_id": str(record_id),
            "event_timestamp": text,
            "accepted_at": text,
            "created_at": text,
        }


async def test_infinite_legacy_rows_render_as_the_extremes_they_were(db: asyncpg.Pool) -> None:
    """asyncpg writes datetime.min/max as -infinity/infinity; rows written that way read back
    as the extremes they stood for, never as a missing (NULL) document."""
    lowest, highest = uuid.uuid4(), uuid.uuid4()
    await db.executemany(
        f"INSERT INTO {TABLE} (id, event_timestamp, accepted_at) VALUES ($1, $2, $2)",
        [(lowest, datetime.min.replace(tzinfo=UTC)), (highest, datetime.max.replace(tzinfo=UTC))],
    )
    found = await fetch_records(db, [lowest, highest])
    assert orjson.loads(found[lowest])["event_timestamp"] == MIN_TEXT
    assert orjson.loads(found[highest])["accepted_at"] == MAX_TEXT


async def test_paging_through_the_lowest_moment_ends(db: asyncpg.Pool) -> None:
    first, second = sorted([uuid.uuid4(), uuid.uuid4()])
    await db.executemany(
        f"INSERT INTO {TABLE} (id, event_timestamp, accepted_at) "
        "VALUES ($1, $2::text::timestamptz, $2::text::timestamptz)",
        [(first, MIN_TEXT), (second, MIN_TEXT)],
    )
    bound = datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC)  # just after the two rows
    seen: list[str] = []
    after = None
    for _ in range(10_000):  # other runs of this test leave rows at this moment too
        page = await fetch_page(db, datetime(1, 1, 1, tzinfo=UTC), bound, 1, after)
        seen += [orjson.loads(item)["id"] for item in page.items]
        if page.next is None:
            break
        after = page.next
    else:
        raise AssertionError("paging did not end: the cursor does not move past the moment")
    assert len(seen) == len(set(seen))  # no page repeated
    assert str(first) in seen and str(second) in seen
