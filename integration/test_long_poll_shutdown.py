"""SIGTERM answers every long-poll at once: the record if it exists by then (one
last look), else 404 as a wait that ended; then the query service exits 0."""

import asyncio
import signal
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from harness.processes import ServiceProcess
from harness.waiting import eventually
from shared.schema import TABLE

pytestmark = [pytest.mark.postgres]
UNKNOWN = 20
ANSWERED_WITHIN_S = 3.0  # the waits asked for 30 s; uvicorn's graceful timeout is 20 s


async def _waiting(client: httpx.AsyncClient, query: ServiceProcess, count: int) -> bool:
    ready = (await client.get(f"{query.url}/ready")).json()
    return bool(ready["checks"]["database"].get("waiting") == count)


async def test_sigterm_answers_every_long_poll_at_once_and_exits_zero(
    db: asyncpg.Pool, services: list[ServiceProcess]
) -> None:
    query = ServiceProcess("query_service", {"MAX_WAIT_S": "30"}).start()
    services.append(query)
    await query.wait_healthy(path="/ready")
    late = uuid.uuid4()  # inserted without a NOTIFY: only a last look can find it
    ids = [uuid.uuid4() for _ in range(UNKNOWN)] + [late]
    limits = httpx.Limits(max_connections=len(ids) + 1)
    async with httpx.AsyncClient(timeout=40, limits=limits) as client:
        polls = [
            asyncio.create_task(client.get(f"{query.url}/api/v1/timestamp/{i}?wait=30"))
            for i in ids
        ]
        await eventually(lambda: _waiting(client, query, len(ids)), 10, "every wait to register")
        moment = datetime(2009, 9, 28, 19, 3, 12, tzinfo=UTC)
        await db.execute(
            f"INSERT INTO {TABLE} (id, event_timestamp, accepted_at) VALUES ($1, $2, $2)",
            late,
            moment,
        )
        signalled = time.monotonic()
        query.signal(signal.SIGTERM)
        done, _ = await asyncio.wait(polls, timeout=ANSWERED_WITHIN_S)
        answered_s = time.monotonic() - signalled
        for poll in polls:
            poll.cancel()
        assert len(done) == len(polls), f"{len(polls) - len(done)} waits still held after SIGTERM"
        responses = [poll.result() for poll in polls]  # raises for a request that was cut
    *unknown, found = responses
    assert found.status_code == 200, found.text
    assert found.json()["id"] == str(late)
    assert found.json()["event_timestamp"] == "2009-09-28T19:03:12Z"
    for response in unknown:
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404
    assert answered_s < ANSWERED_WITHIN_S
    assert await query.exit_code(10) == 0, query.tail()
