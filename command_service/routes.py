"""HTTP edge of the command side: parse, publish, answer with the ticket id."""

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from command_service.idempotency import (
    IDEMPOTENCY_PARAMETER,
    InvalidIdempotencyKey,
    command_id_for,
    idempotency_key,
)
from command_service.metrics import CommandMetrics
from command_service.publisher import BrokerUnavailable, CommandPublisher
from shared.correlation import request_correlation_id
from shared.messages import TimestampCommand
from shared.problems import problem_examples, problem_response, problem_schema
from shared.timestamps import EXAMPLE, InvalidTimestamp, parse_rfc3339


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


async def _accept(moment: datetime, request: Request) -> Response:
    """The routes take `request` and read app.state themselves: a Depends costs per request."""
    try:
        command_id = command_id_for(idempotency_key(request.scope["headers"]))
    except InvalidIdempotencyKey as error:
        return problem_response(400, "Invalid Idempotency-Key", str(error))
    command = TimestampCommand(command_id, moment, datetime.now(UTC))
    publisher: CommandPublisher = request.app.state.publisher
    metrics: CommandMetrics = request.app.state.metrics
    started = time.perf_counter()
    try:
        await publisher.publish(command, request_correlation_id(request.scope))
    except BrokerUnavailable as error:
        metrics.unavailable.inc()
        retry_after = str(request.app.state.settings.retry_after_s)
        return problem_response(
            503, "Broker unavailable", str(error), headers={"Retry-After": retry_after}
        )
    metrics.produce_latency.observe(time.perf_counter() - started)
    metrics.acknowledged.inc()
    return Response(b'{"id":"%s"}' % command.key(), media_type="application/json")


@router.post(
    "/api/v1/timestamp/{timestamp}",
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    openapi_extra=IDEMPOTENCY_PARAMETER,
    summary="Accept a command for the given RFC 3339 timestamp",
)
async def accept_timestamp(timestamp: TimestampText, request: Request) -> Response:
    try:
        moment = parse_rfc3339(timestamp)
    except InvalidTimestamp as error:
        return problem_response(400, "Invalid timestamp", str(error))
    return await _accept(moment, request)


@router.post(
    "/api/v1/timestamp",
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    openapi_extra=IDEMPOTENCY_PARAMETER,
    summary="Accept a command for the current UTC time",
)
async def accept_now(request: Request) -> Response:
    return await _accept(datetime.now(UTC), request)


router.add_api_route(
    "/app",
    accept_now,
    methods=["POST"],
    response_model=CommandAccepted,
    responses=_RESPONSES,  # type: ignore[arg-type]
    openapi_extra=IDEMPOTENCY_PARAMETER,
    summary="Accept a command for the current UTC time (the original's alias)",
)
