"""The consumer service: the consume loop plus health/ready on 7081, in one app."""

from fastapi import FastAPI

from consumer_service.runtime import ConsumerRuntimeOpener, open_runtime
from consumer_service.settings import ConsumerSettings
from shared.app import build_app
from shared.metrics import service_registry


def create_app(
    settings: ConsumerSettings, *, open_runtime: ConsumerRuntimeOpener = open_runtime
) -> FastAPI:
    registry = service_registry()
    return build_app(
        settings=settings,
        title="timestamp consumer service",
        description="Writes timestamp commands from Kafka into PostgreSQL; HTTP for operations "
        "only.",
        registry=registry,
        open_runtime=lambda _: open_runtime(settings, registry),
    )
