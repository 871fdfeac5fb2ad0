"""What every FastAPI app of ours has: problem errors, correlation ids, health routes, and
the runtime its lifespan opens (shared/runtime.py)."""

from collections.abc import Mapping, Sequence
from importlib.metadata import version

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry

from shared.docs import install_docs
from shared.edge import EdgeMiddleware
from shared.fast_lane import FastLane, LanedFastAPI, LaneRoute
from shared.health import health_router
from shared.limits import RequestLimits
from shared.metrics import HttpMetrics, metrics_router
from shared.problems import document_problems, install_problem_handlers
from shared.runtime import RuntimeOpener, runtime_lifespan
from shared.settings import ServiceSettings


def build_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    registry: CollectorRegistry,
    open_runtime: RuntimeOpener,
    routers: Sequence[APIRouter] = (),
    lane: Sequence[LaneRoute] = (),
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """`open_runtime` opens what the requests are served with, for as long as the app runs;
    `registry` is what `/metrics` exposes. The service's own `routers` are matched first: they
    carry the traffic. The `lane` routes (the hot ones, also among `routers`) take the fast
    lane unless FAST_LANE=false. `body_limits` gives paths a request-body limit of their own
    instead of MAX_BODY_BYTES."""

    # The service's routes go on the app itself: an included router is one more routing and
    # exception-handling layer on every request, a fifth of a request's cost on the hot path.
    routes = [route for router in routers for route in router.routes]
    # No trailing-slash redirects: not part of the contract, and `POST /api/v1/timestamp/` (an
    # empty timestamp) must not be turned into "now" by a client that follows the redirect.
    app = LanedFastAPI(
        title=title,
        description=description,
        version=version("timestamp-cqrs"),
        lifespan=runtime_lifespan(open_runtime),
        routes=routes,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    install_problem_handlers(app)
    document_problems(app)
    limits = RequestLimits(
        settings.max_path_bytes,
        settings.max_header_bytes,
        settings.max_body_bytes,
        body_limits or {},
    )
    metrics = HttpMetrics(registry)
    app.add_middleware(EdgeMiddleware, limits=limits, metrics=metrics)
    app.state.registry = registry  # to read the metrics in process, as /metrics does
    app.include_router(health_router())
    app.include_router(metrics_router(registry))
    install_docs(app)
    if settings.fast_lane and lane:
        app.lane = FastLane(app, lane, limits, metrics)
    return app
