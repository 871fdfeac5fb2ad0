"""HTTP edge of the read side: one record by id (optionally waiting for it), or a page.
query_service/reading.py reads one record, for the route and the fast lane alike."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from query_service.reading import database_down, read_record
from query_service.records import InvalidCursor, Position, fetch_page
from query_service.runtime import QueryRuntime
from shared.db import DATABASE_DOWN
from shared.fast_lane import LaneRoute
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
async def _runtime(request: Request) -> QueryRuntime:
    runtime: QueryRuntime = request.state.runtime
    return runtime


Runtime = Annotated[QueryRuntime, Depends(_runtime)]
RecordId = Annotated[str, Path(description="The command id handed out by the command service")]


DATABASE_PROBLEM: dict[int | str, dict[str, Any]] = {
    503: problem_schema(503, "Database unavailable", "ConnectionRefusedError")
}
router = APIRouter(tags=["records"])


WAIT_PARAMETER = {
    "name": "wait",
    "in": "query",
    "required": False,
    "description": "Seconds to hold the request until the record exists (bounded)",
    "schema": {"type": "number", "minimum": 0, "title": "Wait"},
}


@router.get(
    "/api/v1/timestamp/{record_id}",
    response_model=TimestampRecord,
    responses={
        400: problem_schema(400, "Invalid id", "'abc' is not a UUID"),
        404: problem_schema(404, "Not Found", f"no record with id {EXAMPLE_ID}"),
        **DATABASE_PROBLEM,
    },
    summary="Read one record by its command id, optionally waiting for it to arrive",
    openapi_extra={"parameters": [WAIT_PARAMETER]},
)
async def get_record(record_id: RecordId, request: Request) -> Response:
    return (await read_record(request.scope, record_id)).response()


# The same handler, served by the fast lane (shared/fast_lane.py) in front of FastAPI.
LANE = [LaneRoute("GET", "/api/v1/timestamp/{record_id}", read_record)]


@router.get(
    "/api/v1/timestamps",
    response_model=TimestampPage,
    responses={
        400: problem_schema(400, "Bad Request", "from: not an RFC 3339 date-time"),
        401: problem_schema(401, "Unauthorized", "a valid bearer token is required"),
        **DATABASE_PROBLEM,
    },
    summary="List records by event_timestamp range, oldest first, keyset-paged",
    dependencies=[Depends(require_token)],
)
async def list_records(
    runtime: Runtime,
    start: Annotated[str | None, Query(alias="from", description="Inclusive lower bound")] = None,
    end: Annotated[str | None, Query(alias="to", description="Exclusive upper bound")] = None,
    limit: Annotated[int, Query(ge=1, description="Page size (bounded)")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Response:
    settings = runtime.settings
    if limit > settings.page_max_limit:
        return problem_response(400, "Bad Request", f"limit must be ≤ {settings.page_max_limit}")
    try:
        bounds = [None if text is None else parse_rfc3339(text) for text in (start, end)]
        after = None if cursor is None else Position.decode(cursor)
    except (InvalidTimestamp, InvalidCursor) as error:
        return problem_response(400, "Bad Request", str(error))
    try:
        page = await fetch_page(runtime.pool, bounds[0], bounds[1], limit, after)
    except DATABASE_DOWN as error:
        return database_down(error).response()
    return Response(page.json(), media_type="application/json")
