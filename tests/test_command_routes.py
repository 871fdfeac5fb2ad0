"""command_service HTTP surface with a fake publisher: no broker needed."""

import uuid
from collections.abc import AsyncIterator
from contextlib import nullcontext
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from command_service.app import create_app
from command_service.idempotency import command_id_for
from command_service.metrics import CommandMetrics
from command_service.publisher import BrokerUnavailable
from command_service.runtime import CommandRuntime
from command_service.settings import CommandSettings
from shared.messages import TimestampCommand
from tests.serving import serving


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[TimestampCommand, str]] = []
        self.down = False

    async def publish(self, command: TimestampCommand, correlation_id: str) -> None:
        if self.down:
            raise BrokerUnavailable("no broker acknowledgement within 0.1s")
        self.sent.append((command, correlation_id))

    def retry_after_s(self) -> int:
        return 7

    async def publish_many(self, commands: list[TimestampCommand], correlation_id: str) -> None:
        for command in commands:
            await self.publish(command, correlation_id)


def app_publishing_to(settings: CommandSettings, publisher: Any) -> FastAPI:
    """The command app, its runtime's publisher `publisher` (a fake stands in for Kafka)."""

    def open_runtime(
        settings: CommandSettings, metrics: CommandMetrics
    ) -> nullcontext[CommandRuntime]:
        return nullcontext(CommandRuntime(settings, publisher, metrics))

    return create_app(settings, open_runtime=open_runtime)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture(params=[True, False], ids=["fast-lane", "fastapi"])
async def client(
    publisher: FakePublisher, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """Every contract test runs on both paths: the fast lane and the FastAPI routes."""
    app = app_publishing_to(CommandSettings(fast_lane=request.param), publisher)
    async with serving(app, "http://command") as client:
        yield client


async def test_post_with_timestamp_publishes_normalised_command(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    response = await client.post("/api/v1/timestamp/2009-09-28T21:03:12.5+02:00")
    assert response.status_code == 200
    command, correlation_id = publisher.sent[0]
    assert response.json() == {"id": str(command.command_id)}
    assert command.to_json()["event_timestamp"] == "2009-09-28T19:03:12.5Z"
    assert response.headers["correlationId"] == correlation_id
    uuid.UUID(correlation_id)


@pytest.mark.parametrize("path", ["/app", "/api/v1/timestamp"])
async def test_post_without_timestamp_accepts_now_even_with_json_content_type(
    client: httpx.AsyncClient, publisher: FakePublisher, path: str
) -> None:
    response = await client.post(path, headers={"Content-Type": "application/json"}, content=b"")
    assert response.status_code == 200
    assert len(publisher.sent) == 1


@pytest.mark.parametrize("header", ["correlationId", "X-Correlation-ID"])
async def test_given_correlation_id_is_echoed_and_published(
    client: httpx.AsyncClient, publisher: FakePublisher, header: str
) -> None:
    given = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"  # version 1, as the original's clients send
    response = await client.post("/app", headers={header: given})
    assert response.status_code == 200
    assert response.headers["correlationId"] == given
    assert publisher.sent[0][1] == given


async def test_bad_correlation_id_is_a_400_problem(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    response = await client.post("/app", headers={"correlationId": "<script>"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400
    assert publisher.sent == []


@pytest.mark.parametrize(
    "timestamp", ["2009-09-28T19:03:12", "20090928T190312Z", "2009-02-30T00:00:00Z", "x" * 500]
)
async def test_bad_timestamp_is_a_400_problem_with_an_example(
    client: httpx.AsyncClient, publisher: FakePublisher, timestamp: str
) -> None:
    response = await client.post(f"/api/v1/timestamp/{timestamp}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail"}
    assert "2009-09-28T19:03:12Z" in body["detail"]
    assert publisher.sent == []


async def test_broker_timeout_is_a_503_with_retry_after(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    publisher.down = True
    response = await client.post("/app")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.post("/nope")
    wrong_method = await client.get("/app")
    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    for response in (missing, wrong_method):
        assert response.headers["content-type"] == "application/problem+json"


async def test_health_does_not_touch_kafka(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.json() == {"status": "UP"}


@pytest.mark.parametrize("path", ["/api/v1/timestamp/", "/app/", "/api/v1/timestamp//"])
async def test_an_empty_timestamp_is_a_404_problem_not_a_redirect_to_now(
    client: httpx.AsyncClient, publisher: FakePublisher, path: str
) -> None:
    response = await client.post(path, headers={"Host": "evil.example"})
    assert response.status_code == 404, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert publisher.sent == []


@pytest.mark.parametrize(
    "path", ["/app", "/api/v1/timestamp", "/api/v1/timestamp/2009-09-28T19:03:12Z"]
)
async def test_an_idempotency_key_answers_the_same_id_on_every_retry(
    client: httpx.AsyncClient, publisher: FakePublisher, path: str
) -> None:
    headers = {"Idempotency-Key": "order-4711"}
    publisher.down = True
    refused = await client.post(path, headers=headers)
    publisher.down = False
    answers = [await client.post(path, headers=headers) for _ in range(2)]
    assert refused.status_code == 503
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() == {"id": str(command_id_for(b"order-4711"))}
    assert [command.command_id for command, _ in publisher.sent] == [
        command_id_for(b"order-4711")
    ] * 2


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
async def test_an_invalid_idempotency_key_is_a_400_problem(
    client: httpx.AsyncClient, publisher: FakePublisher, key: str
) -> None:
    response = await client.post("/app", headers=[(b"Idempotency-Key", key.encode("latin-1"))])
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Invalid Idempotency-Key"
    assert "Idempotency-Key must be" in response.json()["detail"]
    assert publisher.sent == []


async def test_the_idempotency_key_is_documented_on_every_command_route(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/app", "/api/v1/timestamp", "/api/v1/timestamp/{timestamp}"):
        operation = paths[path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]], path
        examples = operation["responses"]["400"]["content"]["application/problem+json"]["examples"]
        assert examples["idempotencyKey"]["value"]["title"] == "Invalid Idempotency-Key"


BATCH = ["2009-09-28T19:03:12Z", "2009-09-28T21:03:12.5+02:00", "2010-01-01T00:00:00Z"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", orjson.dumps(BATCH)),
        ("application/x-ndjson", b"".join(orjson.dumps(t) + b"\n" for t in BATCH)),
        ("application/x-ndjson; charset=utf-8", b"\n".join(orjson.dumps(t) for t in BATCH)),
    ],
)
async def test_a_batch_answers_every_id_in_order(
    client: httpx.AsyncClient, publisher: FakePublisher, content_type: str, body: bytes
) -> None:
    response = await client.post(
        "/api/v1/timestamps", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text
    ids = response.json()["ids"]
    assert ids == [str(command.command_id) for command, _ in publisher.sent]
    assert [c.to_json()["event_timestamp"] for c, _ in publisher.sent] == [
        "2009-09-28T19:03:12Z",
        "2009-09-28T19:03:12.5Z",
        "2010-01-01T00:00:00Z",
    ]


async def test_a_batch_with_a_key_gets_the_ids_of_key_and_index(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    headers = {"Idempotency-Key": "batch-1"}
    first = await client.post("/api/v1/timestamps", json=BATCH, headers=headers)
    again = await client.post("/api/v1/timestamps", json=BATCH, headers=headers)
    expected = [str(command_id_for(b"batch-1", i)) for i in range(3)]
    assert first.json()["ids"] == again.json()["ids"] == expected


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (orjson.dumps([*BATCH[:2], "2009-13-01"]), "item 2: '2009-13-01' is not an RFC 3339"),
        (orjson.dumps([BATCH[0], 17]), "item 1: expected an RFC 3339 string, got int"),
        (b"[]", "no timestamps"),
        (b"{}", "expected a JSON array of timestamps, got an object"),
        (b"[", "the body is not JSON"),
        (orjson.dumps([BATCH[0]] * 1001), "1001 timestamps; at most 1000 per request"),
    ],
)
async def test_one_bad_item_refuses_the_whole_batch_naming_it(
    client: httpx.AsyncClient, publisher: FakePublisher, body: bytes, detail: str
) -> None:
    response = await client.post(
        "/api/v1/timestamps", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert publisher.sent == []


async def test_only_the_bulk_route_takes_a_large_body(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    body = orjson.dumps([BATCH[0]] * 1000)  # 23 kB
    assert (await client.post("/api/v1/timestamps", content=body)).status_code == 200
    assert (await client.post("/app", content=body)).status_code == 413
    too_large = b"[" + b" " * CommandSettings().max_batch_body_bytes + b"]"
    assert (await client.post("/api/v1/timestamps", content=too_large)).status_code == 413


async def test_a_chunked_bulk_body_is_bounded_too(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(CommandSettings().max_batch_body_bytes // 1000 + 2):
            yield b" " * 1000

    response = await client.post("/api/v1/timestamps", content=chunks())
    assert response.status_code == 413


async def test_a_batch_the_broker_does_not_acknowledge_is_a_503(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    publisher.down = True
    response = await client.post("/api/v1/timestamps", json=BATCH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
