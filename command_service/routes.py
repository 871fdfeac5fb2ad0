"""HTTP edge of the command side: the routes, documented; command_service/commands.py does
the work, for them and for the fast lane alike."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from command_service.commands import accept
from shared.fast_lane import LaneRoute
from shared.problems import problem_schema
from shared.timestamps import EXAMPLE


class CommandAccepted(BaseModel):
    id: uuid.UUID = Field(description="The command id: the ticket to read the record back with")


TimestampText = Annotated[
    str,
    Path(description="RFC 3339 date-time", examples=[EXAMPLE, "2009-09-28T21:03:12.5+02:00"]),
]

_RESPONSES = {
    400: problem_schema(
        "Invalid timestamp or correlation id",
        {
            "type": "about:blank",
            "title": "Invalid timestamp",
            "status": 400,
            "detail": f"'2009-13-01' is not an RFC 3339 date-time; expected e.g. {EXAMPLE}",
        },
    ),
    503: problem_schema(
        "Kafka did not acknowledge in time (see Retry-After)",
        {
            "type": "about:blank",
            "title": "Broker unavailable",
            "status": 503,
            "detail": "no broker acknowledgement within 5.0s",
        },
    ),
}

router = APIRouter(tags=["commands"])


@router.post(
    "/api/v1/timestamp/{timestamp}",
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    summary="Accept a command for the given RFC 3339 timestamp",
)
async def accept_timestamp(timestamp: TimestampText, request: Request) -> Response:
    return (await accept(request.scope, timestamp)).response()


@router.post(
    "/api/v1/timestamp",
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
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
    summary="Accept a command for the current UTC time (the original's alias)",
)
