"""shared/fast_lane.py: on each hot route the lane answers every status code OpenAPI documents,
with the documented media type and a body of the documented schema, and exactly what the
FastAPI route answers for the same request."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI

from command_service.settings import CommandSettings
from query_service.settings import QuerySettings
from shared.fast_lane import LanedFastAPI
from tests.serving import serving
from tests.test_command_routes import FakePublisher, app_publishing_to
from tests.test_query_routes import app_reading_from

KNOWN = uuid.uuid4()
RECORD = json.dumps(
    {
        "id": str(KNOWN),
        "command_id": str(KNOWN),
        "event_timestamp": "2009-09-28T19:03:12Z",
        "accepted_at": "2026-11-25T20:16:24.123456Z",
        "created_at": "2026-11-25T20:16:24.131002Z",
    }
)


class FakeLookups:
    def __init__(self, down: bool = False) -> None:
        self.down = down

    async def get(self, key: uuid.UUID) -> str | None:
        if self.down:
            raise ConnectionRefusedError("database down")
        return RECORD if key == KNOWN else None


def command_app(fast_lane: bool, down: bool) -> FastAPI:
    publisher = FakePublisher()
    publisher.down = down
    return app_publishing_to(CommandSettings(fast_lane=fast_lane), publisher)


def query_app(fast_lane: bool, down: bool) -> FastAPI:
    return app_reading_from(QuerySettings(fast_lane=fast_lane), lookups=FakeLookups(down))


@dataclass(frozen=True)
class Case:
    app: Callable[[bool, bool], FastAPI]
    method: str
    template: str
    path: str
    status: int
    down: bool = False


BY_TS, BY_ID, NOW = (
    "/api/v1/timestamp/{timestamp}",
    "/api/v1/timestamp/{record_id}",
    "/api/v1/timestamp",
)
STAMP, ONE = f"{NOW}/2009-09-28T19:03:12Z", f"{NOW}/{KNOWN}"
CASES = [
    Case(command_app, "post", BY_TS, STAMP, 200),
    Case(command_app, "post", BY_TS, f"{NOW}/2009-13-01", 400),
    Case(command_app, "post", BY_TS, STAMP, 503, down=True),
    Case(command_app, "post", NOW, NOW, 200),
    Case(command_app, "post", NOW, NOW, 503, down=True),
    Case(command_app, "post", "/app", "/app", 200),
    Case(command_app, "post", "/app", "/app", 503, down=True),
    Case(query_app, "get", BY_ID, ONE, 200),
    Case(query_app, "get", BY_ID, f"{NOW}/abc", 400),
    Case(query_app, "get", BY_ID, f"{ONE}?wait=-1", 400),
    Case(query_app, "get", BY_ID, f"{NOW}/{uuid.uuid4()}", 404),
    Case(query_app, "get", BY_ID, ONE, 503, down=True),
]


async def _send(app: FastAPI, case: Case) -> httpx.Response:
    async with serving(app) as client:
        headers = {"correlationId": "52f2665d-c087-42e5-a571-89061021a37c"}
        return await client.request(case.method, case.path, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path} {c.status}")
async def test_the_lane_answers_as_documented_and_as_fastapi_does(case: Case) -> None:
    lane_app = case.app(True, case.down)
    assert isinstance(lane_app, LanedFastAPI)
    assert lane_app.lane is not None and lane_app.lane.match(
        {"method": case.method.upper(), "path": case.path.split("?")[0]}
    ), "the case must take the fast lane"
    laned = await _send(lane_app, case)
    assert laned.status_code == case.status, laned.text
    spec = lane_app.openapi()
    documented = spec["paths"][case.template][case.method]["responses"][str(case.status)]
    (media_type, content), *_ = documented["content"].items()
    assert laned.headers["content-type"] == media_type
    schema: dict[str, Any] = {**content["schema"], "components": spec["components"]}
    jsonschema.validate(laned.json(), schema)

    framework = await _send(case.app(False, case.down), case)
    assert framework.status_code == laned.status_code
    assert _shape(framework) == _shape(laned)


def _shape(response: httpx.Response) -> tuple[object, ...]:
    """What must be equal on both paths: headers (names, and values but for the new id's
    length), and the body (with a new command id replaced)."""
    body = response.json()
    if isinstance(body, dict) and set(body) == {"id"}:
        body = {"id": "<new>"}
    headers = sorted((k, v) for k, v in response.headers.items() if k != "content-length")
    return body, headers
