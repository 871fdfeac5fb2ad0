"""The server span of one HTTP request, for both paths (the fast lane and EdgeMiddleware):
continued from the request's `traceparent` when it has a valid one, named after the route
template once routing has found it, and echoed in the answer's own `traceparent`."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from starlette.types import Scope

from shared.tracing import HEADER, parent_of, span, traceparent

_HEADER = HEADER.encode()


@dataclass(slots=True)
class HttpSpan:
    span: Span
    header: tuple[bytes, bytes]  # the answer's traceparent: this span's context
    status: int = 500  # set by the caller once answered


def _traceparent(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER:
            return str(value.decode("latin-1"))
    return None


@contextmanager
def server_span(tracer: Tracer, scope: Scope) -> Iterator[HttpSpan]:
    method: str = scope["method"]
    attributes = {"http.request.method": method, "url.path": scope["path"]}
    parent = parent_of(_traceparent(scope))
    with span(tracer, method, SpanKind.SERVER, parent, attributes=attributes) as current:
        traced = HttpSpan(current, (_HEADER, traceparent(current).encode()))
        yield traced
        route = getattr(scope.get("route"), "path", None)
        if route is not None:
            current.update_name(f"{method} {route}")
            current.set_attribute("http.route", route)
        current.set_attribute("http.response.status_code", traced.status)
        if traced.status >= 500:
            current.set_status(StatusCode.ERROR)
