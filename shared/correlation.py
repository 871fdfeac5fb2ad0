"""Correlation ids: read or made per request, echoed back, bound to every log line."""

import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response

HEADER = "correlationId"
KAFKA_HEADER = "correlationId"
_ACCEPTED = (b"correlationid", b"x-correlation-id")


class InvalidCorrelationId(ValueError):
    pass


def parse_correlation_id(value: str | None) -> str:
    """A UUID of any version, canonicalised; a fresh one when absent."""
    if value is None or value == "":
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise InvalidCorrelationId(
            f"header {HEADER} must be a UUID, e.g. 52f2665d-c087-42e5-a571-89061021a37c"
        ) from None


def bind_correlation_id(correlation_id: str) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlationId=correlation_id)


def _header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name in _ACCEPTED:
            return str(value.decode("latin-1"))
    return None


class CorrelationIdMiddleware:
    """Pure ASGI: validates the header, stores the id in `request.state`, echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            correlation_id = parse_correlation_id(_header(scope))
        except InvalidCorrelationId as error:
            correlation_id = str(uuid.uuid4())
            bind_correlation_id(correlation_id)
            response = problem_response(400, "Invalid correlation id", str(error))
            response.headers[HEADER] = correlation_id
            await response(scope, receive, send)
            return
        bind_correlation_id(correlation_id)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        echoed = (HEADER.encode(), correlation_id.encode())

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        await self.app(scope, receive, send_with_header)
