"""The query service's app factory."""

from fastapi import FastAPI

from query_service.routes import LANE, router
from query_service.runtime import QueryRuntimeOpener, open_runtime
from query_service.settings import QuerySettings
from shared.app import build_app
from shared.metrics import service_registry


def create_app(
    settings: QuerySettings, *, open_runtime: QueryRuntimeOpener = open_runtime
) -> FastAPI:
    registry = service_registry()
    return build_app(
        settings=settings,
        title="timestamp query service",
        description="Reads timestamp records back by ticket id, waits for them, and lists them "
        "by time.",
        registry=registry,
        open_runtime=lambda hooks: open_runtime(settings, registry, hooks),
        routers=[router],
        lane=LANE,
    )
