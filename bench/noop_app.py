"""The HTTP ceilings: a FastAPI app that does nothing, on the same paths as ours, and (with
NOOP_RAW=1) a raw ASGI callable that answers every request at once, the honest ceiling of the
server itself. Both are served by `shared.server` exactly like our services (uvloop,
httptools, same uvicorn settings).

    SERVER_PORT=7090 python -m bench.noop_app
    SERVER_PORT=7091 NOOP_RAW=1 python -m bench.noop_app
"""

import os
import uuid

from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from shared.server import run_service
from shared.settings import ServiceSettings

_ID = str(uuid.uuid4())
_POSTED = b'{"id":"' + _ID.encode() + b'"}'
_RECORD = (
    b'{"id":"%s","command_id":"%s","event_timestamp":"2009-09-28T19:03:12Z",'
    b'"accepted_at":"2026-11-25T20:16:24.123456Z","created_at":"2026-11-25T20:16:24.131002Z"}'
) % (_ID.encode(), _ID.encode())


class RawNoop(FastAPI):
    """Every HTTP request answered in two ASGI messages; the lifespan and /health's readiness
    probe (any path) as FastAPI runs them. No routing at all: what the server alone costs."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        body = _POSTED if scope["method"] == "POST" else _RECORD
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(_: ServiceSettings) -> FastAPI:
    if os.environ.get("NOOP_RAW") == "1":
        return RawNoop(title="raw no-op ceiling")
    app = FastAPI(title="no-op ceiling")

    @app.post("/api/v1/timestamp/{timestamp}")
    async def post(timestamp: str) -> Response:
        return Response(_POSTED, media_type="application/json")

    @app.get("/api/v1/timestamp/{record_id}")
    async def get(record_id: str) -> Response:
        return Response(_RECORD, media_type="application/json")

    @app.get("/health")
    async def health() -> Response:
        return Response(b'{"status":"UP"}', media_type="application/json")

    return app


def main() -> None:
    run_service("noop_ceiling", ServiceSettings, create_app)


if __name__ == "__main__":
    main()
