"""shared/stopping.py: the stop hooks run once the server starts to stop, before it waits."""

import uvicorn
from fastapi import FastAPI

from shared.server import _Server
from shared.stopping import stop_hooks


def test_the_server_and_the_lifespan_share_one_set_of_hooks() -> None:
    app = FastAPI()
    assert stop_hooks(app) is stop_hooks(app)


async def test_shutdown_runs_the_hooks_before_waiting_for_requests() -> None:
    app = FastAPI()
    calls: list[str] = []
    stop_hooks(app).add(lambda: calls.append("hook"))
    config = uvicorn.Config(app, lifespan="off")
    config.load()
    server = _Server(config, stop_hooks(app))
    server.servers, server.lifespan = [], config.lifespan_class(config)
    await server.shutdown()
    assert calls == ["hook"]
