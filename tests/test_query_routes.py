"""query_service/routes.py through the app with a fake pool: what a client sends is a 4xx."""

import base64
from collections.abc import AsyncIterator
from contextlib import nullcontext
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from query_service.app import create_app
from query_service.lookups import RecordLookups
from query_service.runtime import QueryRuntime
from query_service.settings import QuerySettings
from query_service.waiting import RecordWaiters
from shared.stopping import StopHooks
from tests.serving import serving

RECORD_ID = "0b6bb3c4-5d6e-4a8f-9d84-0c1e2b3a4f5d"


class EmptyPool:
    """Answers every query with no rows, and remembers the arguments."""

    def __init__(self) -> None:
        self.queries: list[tuple[object, ...]] = []

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        self.queries.append(args)
        return []


async def _no_listening() -> asyncpg.Connection:
    raise AssertionError("the waiters are not started")


def app_reading_from(settings: QuerySettings, pool: Any = None, lookups: Any = None) -> FastAPI:
    """The query app, its runtime's pool `pool` and lookups `lookups` (by default, over
    `pool`): fakes stand in for PostgreSQL."""

    def open_runtime(
        settings: QuerySettings, registry: CollectorRegistry, hooks: StopHooks
    ) -> nullcontext[QueryRuntime]:
        waiters = RecordWaiters(_no_listening, pool)
        runtime = QueryRuntime(settings, pool, waiters, lookups or RecordLookups(pool))
        return nullcontext(runtime)

    return create_app(settings, open_runtime=open_runtime)


@pytest.fixture(params=[True, False], ids=["fast-lane", "fastapi"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """Every contract test runs on both paths: the fast lane and the FastAPI routes."""
    app = app_reading_from(QuerySettings(fast_lane=request.param), EmptyPool())
    async with serving(app, "http://query") as client:
        yield client


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "stamp",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 once in UTC
        "2009-09-28T19:03:12",  # naive
        "2009-09-28",
        "2009-09-28T19:03:12+00:00:00",
    ],
)
async def test_a_crafted_cursor_is_a_400_problem(client: httpx.AsyncClient, stamp: str) -> None:
    response = await client.get(
        "/api/v1/timestamps", params={"cursor": cursor_of(f"{stamp}|{RECORD_ID}")}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_cursor_handed_out_is_accepted(client: httpx.AsyncClient) -> None:
    cursor = cursor_of(f"9999-12-31T23:59:59.999999+00:00|{RECORD_ID}")
    response = await client.get("/api/v1/timestamps", params={"cursor": cursor})
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("bound", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-23:59"])
async def test_a_bound_outside_the_range_is_a_400(client: httpx.AsyncClient, bound: str) -> None:
    for name in ("from", "to"):
        response = await client.get("/api/v1/timestamps", params={name: bound})
        assert response.status_code == 400, response.text


@pytest.mark.parametrize("path", ["/api/v1/timestamp/", "/api/v1/timestamps/", "/health/"])
async def test_a_trailing_slash_is_not_redirected(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"


class RefusingPool:
    """A database that turns us away: a wrong password, as PostgreSQL says it."""

    error = asyncpg.InvalidPasswordError('password authentication failed for user "app"')

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        raise self.error

    async def fetchval(self, query: str, *args: object, timeout: float | None = None) -> object:
        raise self.error


@pytest.fixture(params=[True, False], ids=["fast-lane", "fastapi"])
async def refused(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    app = app_reading_from(QuerySettings(fast_lane=request.param), RefusingPool())
    async with serving(app, "http://query") as client:
        yield client


@pytest.mark.parametrize("path", [f"/api/v1/timestamp/{RECORD_ID}", "/api/v1/timestamps"])
async def test_a_database_refusing_us_is_a_503_with_retry_after(
    refused: httpx.AsyncClient, path: str
) -> None:
    response = await refused.get(path)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"]
    assert response.json()["detail"] == "InvalidPasswordError"


async def test_ready_names_why_the_database_refuses(refused: httpx.AsyncClient) -> None:
    response = await refused.get("/ready")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database["error"] == "InvalidPasswordError"
    assert "password authentication failed" in database["cause"]
