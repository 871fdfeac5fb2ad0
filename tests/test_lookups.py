"""query_service/lookups.py with a fake query: coalescing, the in-flight bound, errors."""

import asyncio
import uuid
from collections.abc import Sequence
from uuid import UUID

import pytest

from query_service import lookups
from query_service.lookups import IN_FLIGHT, RecordLookups
from tests.unused_database import UnusedPool


class FakeQueries:
    """Stands in for fetch_records: remembers each query's ids, answers when released."""

    def __init__(self) -> None:
        self.queries: list[list[UUID]] = []
        self.release = asyncio.Event()
        self.error: Exception | None = None

    async def __call__(self, pool: object, ids: Sequence[UUID]) -> dict[UUID, str]:
        self.queries.append(list(ids))
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return {record_id: f'{{"id":"{record_id}"}}' for record_id in ids}


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeQueries:
    fake = FakeQueries()
    monkeypatch.setattr(lookups, "fetch_records", fake)
    return fake


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_lookups_of_one_turn_share_one_query(queries: FakeQueries) -> None:
    reads = RecordLookups(pool=UnusedPool())
    ids = [uuid.uuid4() for _ in range(5)]
    queries.release.set()
    found = await asyncio.gather(*(reads.get(record_id) for record_id in ids))
    assert queries.queries == [ids]
    assert found == [f'{{"id":"{record_id}"}}' for record_id in ids]


async def test_at_most_in_flight_queries_and_the_rest_wait_for_one_next(
    queries: FakeQueries,
) -> None:
    reads = RecordLookups(pool=UnusedPool())

    async def one_per_turn(ids: list[UUID]) -> list[asyncio.Task[str | None]]:
        tasks = []
        for record_id in ids:  # each alone in its turn: each would be a query of its own
            tasks.append(asyncio.create_task(reads.get(record_id)))
            await _settle()
        return tasks

    first = await one_per_turn([uuid.uuid4() for _ in range(IN_FLIGHT)])
    assert len(queries.queries) == IN_FLIGHT
    later = [uuid.uuid4() for _ in range(4)]
    waiting = await one_per_turn(later)
    assert len(queries.queries) == IN_FLIGHT  # none started while the bound is reached
    queries.release.set()
    await asyncio.gather(*first, *waiting)
    assert queries.queries[IN_FLIGHT:] == [later]  # all that waited, as one query


async def test_a_failed_query_fails_its_requests_and_the_next_still_runs(
    queries: FakeQueries,
) -> None:
    reads = RecordLookups(pool=UnusedPool())
    queries.error = ConnectionRefusedError("database down")
    queries.release.set()
    with pytest.raises(ConnectionRefusedError):
        await reads.get(uuid.uuid4())
    queries.error = None
    record_id = uuid.uuid4()
    assert await reads.get(record_id) == f'{{"id":"{record_id}"}}'
