"""Correlation ids: read or made per request, echoed back, bound to every log line
(the per-request part is in shared/edge.py)."""

import uuid

import structlog
from starlette.types import Scope

from shared.ids import random_uuid

HEADER = "correlationId"
KAFKA_HEADER = "correlationId"
_ACCEPTED = (b"correlationid", b"x-correlation-id")


class InvalidCorrelationId(ValueError):
    pass


def parse_correlation_id(value: str | None) -> str:
    """A UUID of any version, canonicalised; a fresh one when absent."""
    if value is None or value == "":
        return str(random_uuid())
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise InvalidCorrelationId(
            f"header {HEADER} must be a UUID, e.g. 52f2665d-c087-42e5-a571-89061021a37c"
        ) from None


def bind_correlation_id(correlation_id: str) -> None:
    """Each request runs in its own task, with a copy of the server's context: nothing bound
    here outlives the request, so there is nothing to clear first."""
    structlog.contextvars.bind_contextvars(correlationId=correlation_id)


def correlation_header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name in _ACCEPTED:
            return str(value.decode("latin-1"))
    return None


def request_correlation_id(scope: Scope) -> str:
    """The id shared/edge.py settled on for this request (cheaper than `request.state`)."""
    correlation_id: str = scope["state"]["correlation_id"]
    return correlation_id
