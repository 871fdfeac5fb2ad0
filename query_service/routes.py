"""HTTP edge of the read side."""

import uuid
from typing import Annotated

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from query_service.records import fetch_record
from shared.db import DATABASE_DOWN
from shared.problems import problem_response, problem_schema


class TimestampRecord(BaseModel):
    id: str
    command_id: str
    event_timestamp: str
    accepted_at: str
    created_at: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "0b6bb3c4-5d6e-4a8f-9d84-0c1e2b3a4f5d",
                    "command_id": "0b6bb3c4-5d6e-4a8f-9d84-0c1e2b3a4f5d",
                    "event_timestamp": "2009-09-28T19:03:12Z",
                    "accepted_at": "2026-11-25T20:16:24.123456Z",
                    "created_at": "2026-11-25T20:16:24.131002Z",
                }
            ]
        }
    }


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


Pool = Annotated[asyncpg.Pool, Depends(_pool)]
RecordId = Annotated[str, Path(description="The command id handed out by the command service")]

router = APIRouter(tags=["records"])


@router.get(
    "/api/v1/timestamp/{record_id}",
    response_model=TimestampRecord,
    responses={
        400: problem_schema(
            "The id is not a UUID",
            {
                "type": "about:blank",
                "title": "Invalid id",
                "status": 400,
                "detail": "'abc' is not a UUID",
            },
        ),
        404: problem_schema(
            "No record with this id (yet)",
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "no record with id 0b6bb3c4-5d6e-4a8f-9d84-0c1e2b3a4f5d",
            },
        ),
        503: problem_schema(
            "PostgreSQL is unreachable",
            {
                "type": "about:blank",
                "title": "Database unavailable",
                "status": 503,
                "detail": "ConnectionRefusedError",
            },
        ),
    },
    summary="Read one record by its command id",
)
async def get_record(record_id: RecordId, pool: Pool) -> Response:
    try:
        key = uuid.UUID(record_id)
    except ValueError:
        return problem_response(400, "Invalid id", f"{record_id[:64]!r} is not a UUID")
    try:
        record = await fetch_record(pool, key)
    except DATABASE_DOWN as error:
        return problem_response(
            503, "Database unavailable", type(error).__name__, headers={"Retry-After": "2"}
        )
    if record is None:
        return problem_response(404, "Not Found", f"no record with id {key}")
    return Response(orjson.dumps(record), media_type="application/json")
