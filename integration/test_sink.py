"""The consumer's batch write against real PostgreSQL: COPY for large batches, the
INSERT … ON CONFLICT fallback for redeliveries, and the NOTIFY each commit sends."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from consumer_service.sink import COPY_MIN_ROWS, apply_batch
from query_service.records import fetch_records
from shared.db import connect
from shared.ids import parse_uuid
from shared.messages import Row, TimestampCommand, decode_row
from shared.notifications import CHANNEL, EVERYTHING, MAX_RECORDS
from shared.schema import TABLE
from shared.settings import DatabaseSettings

pytestmark = [pytest.mark.postgres]


def new_rows(count: int) -> list[Row]:
    start = datetime(2009, 9, 28, 19, 3, 12, tzinfo=UTC)
    return [
        decode_row(
            TimestampCommand(
                uuid.uuid4(), start + timedelta(microseconds=7 * n), datetime.now(UTC)
            ).encode()
        )
        for n in range(count)
    ]


@pytest.fixture
async def notifications(db_settings: DatabaseSettings) -> AsyncIterator[asyncio.Queue[str]]:
    received: asyncio.Queue[str] = asyncio.Queue()
    connection = await connect(db_settings, "timestamp-test-listener")
    await connection.add_listener(CHANNEL, lambda *args: received.put_nowait(str(args[3])))
    yield received
    await connection.close()


async def stored(db: asyncpg.Pool, rows: list[Row]) -> dict[str, tuple[str, str, datetime]]:
    found = await db.fetch(
        f"SELECT id::text, event_timestamp, accepted_at, created_at FROM {TABLE} "
        "WHERE id = ANY($1::uuid[])",
        [row[0].decode() for row in rows],
    )
    return {
        r["id"]: (r["event_timestamp"].isoformat(), r["accepted_at"].isoformat(), r["created_at"])
        for r in found
    }


def as_written(row: Row) -> tuple[str, str]:
    moments = (datetime.fromisoformat(row[1].decode()), datetime.fromisoformat(row[2].decode()))
    return moments[0].isoformat(), moments[1].isoformat()


async def announced(notifications: asyncio.Queue[str], payload: set[str]) -> None:
    """Wait for a payload of exactly these lines, past what other writers announced."""
    async with asyncio.timeout(10):
        while set((await notifications.get()).split("\n")) != payload:
            pass


async def test_a_large_batch_is_copied_whole_and_announced(
    db: asyncpg.Pool, notifications: asyncio.Queue[str]
) -> None:
    rows = new_rows(COPY_MIN_ROWS + 7)
    assert (await apply_batch(db, rows))[0] == len(rows)
    found = await stored(db, rows)
    assert {key: value[:2] for key, value in found.items()} == {
        row[0].decode(): as_written(row) for row in rows
    }
    await announced(notifications, {EVERYTHING})


async def test_a_redelivered_batch_adds_only_the_new_rows_and_changes_none(
    db: asyncpg.Pool,
) -> None:
    first = new_rows(COPY_MIN_ROWS)
    assert (await apply_batch(db, first))[0] == len(first)
    before = await stored(db, first)
    later = new_rows(COPY_MIN_ROWS // 2)
    redelivered = first[len(first) // 2 :] + later
    assert (await apply_batch(db, redelivered))[0] == len(later)  # COPY refused, INSERT fell back
    assert await stored(db, first) == before
    assert len(await stored(db, later)) == len(later)
    assert (await apply_batch(db, first + later))[0] == 0


async def test_a_small_batch_carries_its_records_as_the_query_service_renders_them(
    db: asyncpg.Pool, notifications: asyncio.Queue[str]
) -> None:
    rows = new_rows(3)
    assert (await apply_batch(db, rows))[0] == 3
    rendered = await fetch_records(db, [parse_uuid(row[0].decode()) for row in rows])
    await announced(notifications, set(rendered.values()))


async def test_a_batch_too_large_to_carry_is_announced_as_everything(
    db: asyncpg.Pool, notifications: asyncio.Queue[str]
) -> None:
    assert (await apply_batch(db, new_rows(MAX_RECORDS + 1)))[0] == MAX_RECORDS + 1  # INSERT path
    await announced(notifications, {EVERYTHING})


@pytest.mark.parametrize("size", [3, COPY_MIN_ROWS])
async def test_same_id_other_event_timestamp_is_a_conflict_same_payload_is_not(
    db: asyncpg.Pool, size: int
) -> None:
    first = new_rows(size)
    assert await apply_batch(db, first) == (size, [])
    moved = (first[1][0], b"1999-01-01T00:00:00Z", first[1][2])
    again = [*new_rows(size - 2), first[0], moved]
    inserted, conflicts = await apply_batch(db, again)
    assert (inserted, conflicts) == (size - 2, [size - 1])  # the redelivered first[0] is not one
    assert (await stored(db, [first[1]]))[first[1][0].decode()][0] == as_written(first[1])[0]
    twice = new_rows(1)[0]
    clash = (twice[0], b"1999-01-01T00:00:00Z", twice[2])
    assert await apply_batch(db, [twice, clash]) == (1, [1])  # within one batch: first wins
