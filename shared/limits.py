"""Input limits checked before routing: path length, header size, declared body size."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import Scope

from shared.answers import Answer
from shared.problems import problem_answer


@dataclass(frozen=True)
class RequestLimits:
    max_path: int
    max_headers: int
    max_body: int
    body_limits: Mapping[str, int] = field(default_factory=dict)  # path -> its own max_body

    def problem(self, scope: Scope) -> Answer | None:
        """The answer for a request over a limit; None when it is within all of them."""
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > self.max_path:
            return problem_answer(
                414, "URI Too Long", f"path and query exceed {self.max_path} bytes"
            )
        headers = scope["headers"]
        if sum(len(name) + len(value) + 4 for name, value in headers) > self.max_headers:
            return problem_answer(
                431, "Request Header Fields Too Large", f"headers exceed {self.max_headers} bytes"
            )
        max_body = self.body_limits.get(scope["path"], self.max_body)
        for name, value in headers:
            if name == b"content-length" and (not value.isdigit() or int(value) > max_body):
                return problem_answer(
                    413,
                    "Content Too Large",
                    f"this API takes no request body larger than {max_body} bytes",
                )
        return None
