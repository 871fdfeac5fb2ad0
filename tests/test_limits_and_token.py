"""shared/limits.py and shared/security.py through the command app (fake publisher)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from command_service.settings import CommandSettings
from tests.serving import serving
from tests.test_command_routes import FakePublisher, app_publishing_to

TOKEN = "t0k3n-for-the-tests"


async def _client(settings: CommandSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app_publishing_to(settings, FakePublisher()), "http://command") as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(CommandSettings()):
        yield client


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(CommandSettings(api_token=SecretStr(TOKEN))):
        yield client


def _is_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_over_long_path_is_414(client: httpx.AsyncClient) -> None:
    _is_problem(await client.post("/api/v1/timestamp/" + "9" * 3000), 414)


async def test_over_large_headers_are_431(client: httpx.AsyncClient) -> None:
    _is_problem(await client.post("/app", headers={"X-Filler": "x" * 9000}), 431)


async def test_a_body_is_refused_beyond_the_limit(client: httpx.AsyncClient) -> None:
    _is_problem(await client.post("/app", content=b"{" * 2048), 413)
    small = await client.post("/app", content=b"{}", headers={"Content-Type": "application/json"})
    assert small.status_code == 200


async def test_metrics_are_open_without_a_token_setting(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", "Bearer ", f"Bearer {TOKEN[:-1]}"]
)
async def test_metrics_need_the_token_when_set(
    guarded: httpx.AsyncClient, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await guarded.get("/metrics", headers=headers)
    _is_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert TOKEN not in response.text


async def test_the_right_token_opens_metrics_and_tickets_stay_open(
    guarded: httpx.AsyncClient,
) -> None:
    ok = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert (await guarded.post("/app")).status_code == 200
    assert (await guarded.get("/health")).status_code == 200


def test_the_token_never_shows_in_settings_repr() -> None:
    assert TOKEN not in repr(CommandSettings(api_token=SecretStr(TOKEN)))


def test_an_empty_token_turns_the_guard_off() -> None:
    assert CommandSettings(api_token=SecretStr("")).api_token is None


def test_a_token_shorter_than_16_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        CommandSettings(api_token=SecretStr("x" * 15))
