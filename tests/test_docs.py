"""shared/docs.py: /docs and /redoc load nothing from outside the service."""

import re
from collections.abc import AsyncIterator
from importlib.metadata import version

import httpx
import pytest

from command_service.app import create_app
from command_service.settings import CommandSettings
from query_service.app import create_app as create_query_app
from query_service.settings import QuerySettings


@pytest.fixture(params=["command", "query"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    if request.param == "command":
        app = create_app(CommandSettings())
    else:
        app = create_query_app(QuerySettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_every_asset_of_a_docs_page_is_served_by_the_service(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    urls = _asset_urls(response.text)
    assert len(urls) >= 2, response.text
    assert "http" not in response.text.replace("http-equiv", "")
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from outside the service"
        assert (await client.get(url)).status_code == 200, url


async def test_the_documented_version_is_the_package_version(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["info"]["version"] == version("timestamp-cqrs")
