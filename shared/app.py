"""What every FastAPI app of ours has: problem errors, correlation ids, health routes."""

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from shared.correlation import CorrelationIdMiddleware
from shared.health import ReadinessCheck, health_router
from shared.metrics import HttpMetricsMiddleware, metrics_router
from shared.problems import document_problems, install_problem_handlers

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def build_app(
    title: str,
    description: str,
    lifespan: Lifespan,
    checks: Callable[[FastAPI], Mapping[str, ReadinessCheck]],
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    install_problem_handlers(app)
    document_problems(app)
    app.add_middleware(CorrelationIdMiddleware)
    registry = CollectorRegistry()
    app.add_middleware(HttpMetricsMiddleware, registry=registry)
    app.state.registry = registry
    app.include_router(health_router(checks(app)))
    app.include_router(metrics_router(registry))
    return app
