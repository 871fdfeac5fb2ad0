"""The command service's app factory and lifespan."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from command_service.metrics import CommandMetrics
from command_service.publisher import CommandPublisher
from command_service.routes import LANE, router
from command_service.settings import CommandSettings
from shared.app import build_app
from shared.health import ReadinessCheck


def create_app(settings: CommandSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher = CommandPublisher(settings)
        await publisher.start()
        app.state.publisher = publisher
        try:
            yield
        finally:
            await publisher.stop()

    def checks(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"kafka": lambda: app.state.publisher.ready()}

    app = build_app(
        settings,
        "timestamp command service",
        "Accepts timestamp commands and hands back a ticket id once Kafka acknowledged them.",
        lifespan,
        checks,
        [router],
        LANE,
        {"/api/v1/timestamps": settings.max_batch_body_bytes},
    )
    app.state.metrics = CommandMetrics(app.state.registry)
    return app
