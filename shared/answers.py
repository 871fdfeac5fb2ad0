"""An HTTP answer as plain data, so one function decides it and either path sends it: the
fast lane (raw ASGI messages) or a FastAPI route (a Starlette Response)."""

from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Send

JSON = b"application/json"
Headers = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: Headers = ()

    def response(self) -> Response:
        """The same answer for a FastAPI route."""
        response = Response(self.body, status_code=self.status, media_type=None)
        response.raw_headers += [(b"content-type", self.content_type), *self.headers]
        return response

    async def send(self, send: Send, extra: Headers = ()) -> None:
        """The same answer as raw ASGI messages."""
        headers = [
            (b"content-type", self.content_type),
            (b"content-length", b"%d" % len(self.body)),
            *self.headers,
            *extra,
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def json_answer(body: bytes) -> Answer:
    return Answer(200, body)
