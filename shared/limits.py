"""Input limits checked before routing: path length, header size, declared body size."""

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.problems import problem_response


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, max_path: int, max_headers: int, max_body: int) -> None:
        self.app = app
        self.max_path, self.max_headers, self.max_body = max_path, max_headers, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self._problem(scope)
            if problem is not None:
                await problem(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> Response | None:
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > self.max_path:
            return problem_response(
                414, "URI Too Long", f"path and query exceed {self.max_path} bytes"
            )
        headers = scope["headers"]
        if sum(len(name) + len(value) + 4 for name, value in headers) > self.max_headers:
            return problem_response(
                431, "Request Header Fields Too Large", f"headers exceed {self.max_headers} bytes"
            )
        for name, value in headers:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_body):
                return problem_response(
                    413,
                    "Content Too Large",
                    f"this API takes no request body larger than {self.max_body} bytes",
                )
        return None
