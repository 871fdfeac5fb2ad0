"""HTTP edge of the command side: the routes, documented; command_service/commands.py does
the work, for them and for the fast lane alike."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from command_service.bulk import NDJSON, InvalidBulk, parse_bulk
from command_service.commands import accept, unavailable
from command_service.idempotency import (
    IDEMPOTENCY_PARAMETER,
    InvalidIdempotencyKey,
    command_id_for,
    idempotency_key,
)
from command_service.publisher import BrokerUnavailable
from command_service.runtime import CommandRuntime
from shared.correlation import request_correlation_id
from shared.fast_lane import LaneRoute
from shared.messages import TimestampCommand
from shared.problems import problem_examples, problem_response, problem_schema
from shared.timestamps import EXAMPLE


class CommandAccepted(BaseModel):
    id: uuid.UUID = Field(description="The command id: the ticket to read the record back with")


TimestampText = Annotated[
    str,
    Path(description="RFC 3339 date-time", examples=[EXAMPLE, "2009-09-28T21:03:12.5+02:00"]),
]

_BAD_REQUESTS = {
    "timestamp": (
        "Invalid timestamp",
        f"'2009-13-01' is not an RFC 3339 date-time; expected e.g. {EXAMPLE}",
    ),
    "idempotencyKey": (
        "Invalid Idempotency-Key",
        "Idempotency-Key must be printable ASCII (0x20-0x7E)",
    ),
}
_RESPONSES = {
    400: problem_examples(
        "Invalid timestamp, correlation id or Idempotency-Key",
        {name: (400, title, detail) for name, (title, detail) in _BAD_REQUESTS.items()},
    ),
    503: problem_schema(
        503,
        "Broker unavailable",
        "no broker acknowledgement within 5.0s",
        "Kafka did not acknowledge in time (see Retry-After)",
    ),
}

router = APIRouter(tags=["commands"])


@router.post(
    "/api/v1/timestamp/{timestamp}",
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    openapi_extra=IDEMPOTENCY_PARAMETER,
    summary="Accept a command for the given RFC 3339 timestamp",
)
async def accept_timestamp(timestamp: TimestampText, request: Request) -> Response:
    return (await accept(request.scope, timestamp)).response()


@router.post(
    "/api/v1/timestamp",
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    openapi_extra=IDEMPOTENCY_PARAMETER,
    summary="Accept a command for the current UTC time",
)
async def accept_now(request: Request) -> Response:
    return (await accept(request.scope, "")).response()


# The same handlers, served by the fast lane (shared/fast_lane.py) in front of FastAPI.
LANE = [
    LaneRoute("POST", "/api/v1/timestamp/{timestamp}", accept),
    LaneRoute("POST", "/api/v1/timestamp", accept),
    LaneRoute("POST", "/app", accept),
]


router.add_api_route(
    "/app",
    accept_now,
    methods=["POST"],
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    openapi_extra=IDEMPOTENCY_PARAMETER,
    summary="Accept a command for the current UTC time (the original's alias)",
)


class CommandsAccepted(BaseModel):
    ids: list[uuid.UUID] = Field(description="The command ids, in the order of the timestamps")


_BULK_BODY = {
    "requestBody": {
        "required": True,
        "description": "1 to MAX_BATCH_ITEMS (default 1,000) RFC 3339 timestamps",
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"type": "string", "format": "date-time"}},
                "example": [EXAMPLE, "2009-09-28T21:03:12.5+02:00"],
            },
            NDJSON: {
                "schema": {"type": "string"},
                "example": f'"{EXAMPLE}"\n"2009-09-28T21:03:12.5+02:00"\n',
            },
        },
    },
    "parameters": IDEMPOTENCY_PARAMETER["parameters"],
}


@router.post(
    "/api/v1/timestamps",
    response_model=CommandsAccepted,
    responses={
        400: problem_schema(
            400,
            "Invalid batch",
            "item 2: '2009-13-01' is not an RFC 3339 date-time (…)",
            "An invalid item (named by its index), body or Idempotency-Key; nothing published",
        ),
        413: problem_schema(
            413,
            "Content Too Large",
            "this API takes no request body larger than 73024 bytes",
            "The body is larger than a batch of MAX_BATCH_ITEMS",
        ),
        503: _RESPONSES[503],
    },
    openapi_extra=_BULK_BODY,
    summary="Accept a batch of commands; answered once every one is acknowledged",
    description="A JSON array (or NDJSON, by `Content-Type: application/x-ndjson`) of RFC 3339 "
    'timestamps. `200 {"ids"}` in the same order only after Kafka acknowledged every record '
    "(acks=all). With an `Idempotency-Key`, item *i*'s id is derived from the key and *i*. "
    "A `503` means any subset may have landed: retry with the same key.",
)
async def accept_batch(request: Request) -> Response:
    runtime: CommandRuntime = request.state.runtime
    settings = runtime.settings
    try:
        key = idempotency_key(request.scope["headers"])
        body = await _body(request, settings.max_batch_body_bytes)
        if body is None:
            limit = settings.max_batch_body_bytes
            detail = f"this API takes no request body larger than {limit} bytes"
            return problem_response(413, "Content Too Large", detail)
        moments = parse_bulk(
            body, request.headers.get("content-type", ""), settings.max_batch_items
        )
        ids = [command_id_for(key, None if key is None else i) for i in range(len(moments))]
    except InvalidIdempotencyKey as error:
        return problem_response(400, "Invalid Idempotency-Key", str(error))
    except InvalidBulk as error:
        return problem_response(400, "Invalid batch", str(error))
    now = datetime.now(UTC)
    commands = [TimestampCommand(i, moment, now) for i, moment in zip(ids, moments, strict=True)]
    try:
        await runtime.publisher.publish_many(commands, request_correlation_id(request.scope))
    except BrokerUnavailable as error:
        return unavailable(runtime, error).response()
    runtime.metrics.acknowledged.inc(len(commands))
    body = b'{"ids":["' + b'","'.join(c.key() for c in commands) + b'"]}'
    return Response(body, media_type="application/json")


async def _body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds `limit` (a chunked body declares no length)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
