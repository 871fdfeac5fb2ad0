"""The one ASGI layer in front of every app: input limits, correlation id, HTTP metrics.

One layer, not three: each layer costs a coroutine and a wrapped `send` per request, and on
two cores that was a measurable share of a request (bench/README)."""

import time

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.correlation import (
    HEADER,
    InvalidCorrelationId,
    bind_correlation_id,
    correlation_header,
    parse_correlation_id,
)
from shared.ids import random_uuid
from shared.limits import RequestLimits
from shared.metrics import HttpMetrics
from shared.problems import problem_response

_HEADER = HEADER.encode()


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, limits: RequestLimits, metrics: HttpMetrics) -> None:
        self.app = app
        self._limits = limits
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        refused: Response | None = self._limits.problem(scope)
        try:
            correlation_id = parse_correlation_id(correlation_header(scope))
        except InvalidCorrelationId as error:
            correlation_id = str(random_uuid())
            refused = refused or problem_response(400, "Invalid correlation id", str(error))
        bind_correlation_id(correlation_id)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        echoed = (_HEADER, correlation_id.encode())

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        try:
            await (refused or self.app)(scope, receive, answer)
        finally:
            self._metrics.observe(scope, status, time.perf_counter() - started)
