"""HTTP edge of the read side: one record by id (optionally waiting for it), or a page."""

import asyncio
import math
import uuid
from functools import partial
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from query_service.lookups import Record, RecordLookups
from query_service.records import InvalidCursor, Position, fetch_page
from query_service.settings import QuerySettings
from query_service.waiting import RecordWaiters, WaitEnded
from shared.db import DATABASE_DOWN
from shared.problems import problem_response, problem_schema
from shared.security import require_token
from shared.timestamps import InvalidTimestamp, parse_rfc3339

EXAMPLE_ID = "0b6bb3c4-5d6e-4a8f-9d84-0c1e2b3a4f5d"
EXAMPLE_RECORD: dict[str, Any] = {
    "id": EXAMPLE_ID,
    "command_id": EXAMPLE_ID,
    "event_timestamp": "2009-09-28T19:03:12Z",
    "accepted_at": "2026-11-25T20:16:24.123456Z",
    "created_at": "2026-11-25T20:16:24.131002Z",
}


class TimestampRecord(BaseModel):
    id: str
    command_id: str
    event_timestamp: str
    accepted_at: str
    created_at: str

    model_config = {"json_schema_extra": {"examples": [EXAMPLE_RECORD]}}


class TimestampPage(BaseModel):
    items: list[TimestampRecord]
    next_cursor: str | None

    model_config = {
        "json_schema_extra": {"examples": [{"items": [EXAMPLE_RECORD], "next_cursor": None}]}
    }


# Dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, per request.
async def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def _settings(request: Request) -> QuerySettings:
    settings: QuerySettings = request.app.state.settings
    return settings


Pool = Annotated[asyncpg.Pool, Depends(_pool)]
Settings = Annotated[QuerySettings, Depends(_settings)]
RecordId = Annotated[str, Path(description="The command id handed out by the command service")]


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return problem_schema(
        title, {"type": "about:blank", "title": title, "status": status, "detail": detail}
    )


DATABASE_PROBLEM: dict[int | str, dict[str, Any]] = {
    503: _problem(503, "Database unavailable", "ConnectionRefusedError")
}
router = APIRouter(tags=["records"])


def _database_down(error: Exception) -> Response:
    return problem_response(
        503, "Database unavailable", type(error).__name__, headers={"Retry-After": "2"}
    )


WAIT_PARAMETER = {
    "name": "wait",
    "in": "query",
    "required": False,
    "description": "Seconds to hold the request until the record exists (bounded)",
    "schema": {"type": "number", "minimum": 0, "title": "Wait"},
}


def _wait_seconds(request: Request, most: float) -> float | None:
    if not request.scope["query_string"]:
        return None
    text = request.query_params.get("wait")
    if text is None:
        return None
    try:
        wait = float(text)
    except ValueError:
        wait = math.nan
    if not 0 <= wait <= most:
        raise ValueError(f"wait must be a number of seconds between 0 and {most:g}")
    return wait


@router.get(
    "/api/v1/timestamp/{record_id}",
    response_model=TimestampRecord,
    responses={
        400: _problem(400, "Invalid id", "'abc' is not a UUID"),
        404: _problem(404, "Not Found", f"no record with id {EXAMPLE_ID}"),
        **DATABASE_PROBLEM,
    },
    summary="Read one record by its command id, optionally waiting for it to arrive",
    openapi_extra={"parameters": [WAIT_PARAMETER]},
)
async def get_record(record_id: RecordId, request: Request) -> Response:
    """The hottest route takes `request` and reads app.state and `wait` itself: a Depends or
    a validated query parameter costs FastAPI work on every request, wanted or not."""
    try:
        key = uuid.UUID(record_id)
    except ValueError:
        return problem_response(400, "Invalid id", f"{record_id[:64]!r} is not a UUID")
    state = request.app.state
    try:
        wait = _wait_seconds(request, state.settings.max_wait_s)
    except ValueError as error:
        return problem_response(400, "Invalid wait", str(error))
    try:
        if wait:
            record = await _wait_for(key, wait, state.lookups, state.waiters)
        else:
            record = await state.lookups.get(key)
    except DATABASE_DOWN as error:
        return _database_down(error)
    if record is None:
        return problem_response(404, "Not Found", f"no record with id {key}")
    return Response(record, media_type="application/json")


async def _wait_for(
    key: uuid.UUID, wait: float, lookups: RecordLookups, waiters: RecordWaiters
) -> Record | None:
    """Registered before the first look, so a commit in between still wakes us; the wake-up
    brings the record along, and whichever of the look and the wake-up has it first answers.
    A failed look is raised (a timed-out query too: it is not the wait running out). A wait
    ended by the service stopping ends like one whose time ran out."""
    async with waiters.waiter(key) as arrived:
        looked = lookups.lookup(key)
        looked.add_done_callback(partial(_found, arrived))
        deadline = asyncio.timeout(wait)
        try:
            async with deadline:
                return await arrived
        except TimeoutError:
            if not deadline.expired():
                raise
        except WaitEnded:
            pass
    if not looked.done():
        return await looked  # the first look is still out: no second one behind it
    return await lookups.get(key)  # one last look: a notification lost with its connection


def _found(arrived: "asyncio.Future[Record]", looked: "asyncio.Future[Record | None]") -> None:
    if looked.cancelled():
        return
    error = looked.exception()  # retrieved even when unused: no "never retrieved" warning
    if arrived.done():
        return
    if error is not None:
        arrived.set_exception(error)
    elif (record := looked.result()) is not None:
        arrived.set_result(record)


@router.get(
    "/api/v1/timestamps",
    response_model=TimestampPage,
    responses={
        400: _problem(400, "Bad Request", "from: not an RFC 3339 date-time"),
        401: _problem(401, "Unauthorized", "a valid bearer token is required"),
        **DATABASE_PROBLEM,
    },
    summary="List records by event_timestamp range, oldest first, keyset-paged",
    dependencies=[Depends(require_token)],
)
async def list_records(
    pool: Pool,
    settings: Settings,
    start: Annotated[str | None, Query(alias="from", description="Inclusive lower bound")] = None,
    end: Annotated[str | None, Query(alias="to", description="Exclusive upper bound")] = None,
    limit: Annotated[int, Query(ge=1, description="Page size (bounded)")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Response:
    if limit > settings.page_max_limit:
        return problem_response(400, "Bad Request", f"limit must be ≤ {settings.page_max_limit}")
    try:
        bounds = [None if text is None else parse_rfc3339(text) for text in (start, end)]
        after = None if cursor is None else Position.decode(cursor)
    except (InvalidTimestamp, InvalidCursor) as error:
        return problem_response(400, "Bad Request", str(error))
    try:
        page = await fetch_page(pool, bounds[0], bounds[1], limit, after)
    except DATABASE_DOWN as error:
        return _database_down(error)
    return Response(page.json(), media_type="application/json")
