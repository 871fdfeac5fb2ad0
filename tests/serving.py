"""An app served to a test client as uvicorn serves it: its lifespan runs first, and every
request's scope carries a copy of the state the lifespan yielded (`scope["state"]`)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send


@asynccontextmanager
async def serving(app: FastAPI, base_url: str = "http://svc") -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app) as state:
        lifespan_state: dict[str, Any] = dict(state or {})

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = lifespan_state.copy()
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
