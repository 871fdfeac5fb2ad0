"""The command service's app factory."""

from fastapi import FastAPI

from command_service.metrics import CommandMetrics
from command_service.routes import LANE, router
from command_service.runtime import CommandRuntimeOpener, open_runtime
from command_service.settings import CommandSettings
from shared.app import build_app
from shared.metrics import service_registry


def create_app(
    settings: CommandSettings, *, open_runtime: CommandRuntimeOpener = open_runtime
) -> FastAPI:
    registry = service_registry()
    metrics = CommandMetrics(registry)
    return build_app(
        settings=settings,
        title="timestamp command service",
        description="Accepts timestamp commands and hands back a ticket id once Kafka "
        "acknowledged them.",
        registry=registry,
        open_runtime=lambda _: open_runtime(settings, metrics),
        routers=[router],
        lane=LANE,
        body_limits={"/api/v1/timestamps": settings.max_batch_body_bytes},
    )
