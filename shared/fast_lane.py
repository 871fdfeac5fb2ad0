"""The HTTP fast lane: the hot routes served by a small ASGI path in front of FastAPI.

FastAPI's per-request machinery (routing, the Request object, dependency solving, the
exception layers) costs several times what the work of a hot route does. So the app matches
the hot routes itself with plain string operations and calls the same handler the FastAPI
route calls, with the same limits, correlation id, metrics and problem answers (`admit`,
`Answer`). Everything else, and a hot route's method or path that does not match exactly, goes
to FastAPI, which also still documents the hot routes in OpenAPI."""

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from shared import tracing
from shared.answers import Answer, Headers
from shared.edge import admit
from shared.http_span import server_span
from shared.limits import RequestLimits
from shared.metrics import HttpMetrics
from shared.problems import unexpected

# The scope (with "app" set) and the path's one parameter ("" for a path without one).
LaneHandler = Callable[[Scope, str], Awaitable[Answer]]


@dataclass(frozen=True)
class LaneRoute:
    """`path` is exact, or ends in one `{parameter}` segment, as FastAPI writes it."""

    method: str
    path: str
    handler: LaneHandler


@dataclass(frozen=True, slots=True)
class _Target:
    handler: LaneHandler
    route: BaseRoute | None  # the FastAPI route of the same path: its template labels metrics


class FastLane:
    def __init__(
        self,
        app: FastAPI,
        routes: Sequence[LaneRoute],
        limits: RequestLimits,
        metrics: HttpMetrics,
    ) -> None:
        self._app = app
        self._limits = limits
        self._metrics = metrics
        self._exact: dict[tuple[str, str], _Target] = {}
        self._prefixed: list[tuple[str, str, _Target]] = []
        for lane in routes:
            target = _Target(lane.handler, _documented(app, lane))
            prefix, brace, _ = lane.path.partition("{")
            if brace:
                self._prefixed.append((lane.method, prefix, target))
            else:
                self._exact[(lane.method, lane.path)] = target
        self._tracer = tracing.TRACER  # decided once: no span, no context while it is off
        self.serve: Callable[[_Target, str, Scope, Send], Awaitable[object]] = (
            self._serve if self._tracer is None else self._serve_traced
        )

    def match(self, scope: Scope) -> tuple[_Target, str] | None:
        method: str = scope["method"]
        path: str = scope["path"]
        target = self._exact.get((method, path))
        if target is not None:
            return target, ""
        for route_method, prefix, target in self._prefixed:
            if method == route_method and path.startswith(prefix):
                parameter = path[len(prefix) :]
                if parameter and "/" not in parameter:
                    return target, parameter
        return None

    async def _serve_traced(
        self, target: _Target, parameter: str, scope: Scope, send: Send
    ) -> None:
        assert self._tracer is not None
        with server_span(self._tracer, scope) as traced:
            traced.status = await self._serve(target, parameter, scope, send, (traced.header,))

    async def _serve(
        self, target: _Target, parameter: str, scope: Scope, send: Send, extra: Headers = ()
    ) -> int:
        """Serve the request; the status it was answered with."""
        started = time.perf_counter()
        answer, echoed = admit(scope, self._limits)
        scope["app"] = self._app
        scope["route"] = target.route
        if answer is None:
            try:
                answer = await target.handler(scope, parameter)
            except Exception as error:  # noqa: BLE001 - what FastAPI's last exception handler does
                answer = unexpected(error)
        try:
            await answer.send(send, (echoed, *extra))
        finally:
            self._metrics.observe(scope, answer.status, time.perf_counter() - started)
        return answer.status


def _documented(app: FastAPI, lane: LaneRoute) -> BaseRoute | None:
    for route in app.router.routes:
        if getattr(route, "path", None) == lane.path and lane.method in getattr(
            route, "methods", ()
        ):
            return route
    return None


class LanedFastAPI(FastAPI):
    """A FastAPI app whose hot routes, once `lane` is set, take the fast lane."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lane: FastLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lane is not None and scope["type"] == "http":
            matched = self.lane.match(scope)
            if matched is not None:
                await self.lane.serve(*matched, scope, send)
                return
        await super().__call__(scope, receive, send)
