"""Bulk ingest on the real broker: every id answered is a row, in order; a retry
with the same Idempotency-Key lands as the same rows."""

import uuid

import asyncpg
import httpx
import pytest

from harness.stack import Stack
from harness.waiting import eventually
from shared.schema import TABLE

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_batch_is_one_row_per_id_in_order_and_a_retry_changes_nothing(
    stack: Stack, db: asyncpg.Pool, http: httpx.AsyncClient
) -> None:
    moments = [f"2012-01-01T00:00:{n // 10:02d}.{n % 10}Z" for n in range(100)]
    ndjson = "".join(f'"{m}"\n' for m in moments)
    headers = {"Idempotency-Key": f"it-{uuid.uuid4()}", "Content-Type": "application/x-ndjson"}
    url = f"{stack.command.url}/api/v1/timestamps"
    first = await http.post(url, content=ndjson, headers=headers)
    assert first.status_code == 200, first.text
    ids = first.json()["ids"]
    again = await http.post(url, content=ndjson, headers=headers)
    assert again.json()["ids"] == ids and len(set(ids)) == 100

    async def rows() -> list[str] | None:
        found = await db.fetch(
            f"SELECT id::text, event_timestamp FROM {TABLE} WHERE id = ANY($1::uuid[])"
            " ORDER BY event_timestamp",
            ids,
        )
        return [row[0] for row in found] if len(found) == 100 else None

    assert await eventually(rows, 60, "100 rows") == ids
    bad = await http.post(url, json=[moments[0], "nope"])
    assert bad.status_code == 400 and "item 1" in bad.json()["detail"]
