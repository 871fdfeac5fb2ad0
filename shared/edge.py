"""The one ASGI layer in front of every app: input limits, correlation id, HTTP metrics, and
the request's span when tracing is on (shared/http_span.py).

One layer, not three: each layer costs a coroutine and a wrapped `send` per request, and on
two cores that is a measurable share of a request. The fast lane (shared/fast_lane.py) calls
the same `admit` for the routes it serves itself."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.answers import Answer, Headers
from shared.correlation import (
    HEADER,
    InvalidCorrelationId,
    bind_correlation_id,
    correlation_header,
    parse_correlation_id,
)
from shared.http_span import server_span
from shared.ids import random_uuid
from shared.limits import RequestLimits
from shared.metrics import HttpMetrics
from shared.problems import problem_answer

_HEADER = HEADER.encode()


def admit(scope: Scope, limits: RequestLimits) -> tuple[Answer | None, tuple[bytes, bytes]]:
    """What every request goes through first: the input limits and its correlation id (read or
    made, bound to the log context, kept in the scope). Gives the answer when the request is
    refused, and the header that echoes the id."""
    refused = limits.problem(scope)
    try:
        correlation_id = parse_correlation_id(correlation_header(scope))
    except InvalidCorrelationId as error:
        correlation_id = str(random_uuid())
        refused = refused or problem_answer(400, "Invalid correlation id", str(error))
    bind_correlation_id(correlation_id)
    scope.setdefault("state", {})["correlation_id"] = correlation_id
    return refused, (_HEADER, correlation_id.encode())


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, limits: RequestLimits, metrics: HttpMetrics) -> None:
        self.app = app
        self._limits = limits
        self._metrics = metrics
        self._tracer = tracing.TRACER  # decided once: no span, no context while it is off

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif self._tracer is None:
            await self._edge(scope, receive, send, ())
        else:
            with server_span(self._tracer, scope) as traced:
                traced.status = await self._edge(scope, receive, send, (traced.header,))

    async def _edge(self, scope: Scope, receive: Receive, send: Send, extra: Headers) -> int:
        """Serve the request; the status it was answered with."""
        started = time.perf_counter()
        status = 500
        refused, echoed = admit(scope, self._limits)
        added = (echoed, *extra)

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        try:
            if refused is None:
                await self.app(scope, receive, answer)
            else:
                status = refused.status
                await refused.send(send, added)
        finally:
            self._metrics.observe(scope, status, time.perf_counter() - started)
        return status
