"""Prometheus metrics: one registry per app (no global state), HTTP metrics for every service."""

from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack

import asyncpg
from fastapi import APIRouter, Depends
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.responses import Response
from starlette.types import Scope

from shared.buckets import LATENCY_BUCKETS
from shared.security import require_token


def service_registry() -> CollectorRegistry:
    """A service's registry, with the process's own metrics in it."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)  # process_*: CPU, memory, open files, start time
    GCCollector(registry=registry)  # python_gc_*
    return registry


def collect_while_open(
    stack: AsyncExitStack, registry: CollectorRegistry, collector: Collector
) -> None:
    """`collector` is scraped until `stack` closes (what it reads closes with it)."""
    registry.register(collector)
    stack.callback(registry.unregister, collector)


class HttpMetrics:
    """Requests by method, route template and status, and their latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests = Counter(
            "timestamp_http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "timestamp_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # labels() takes a lock and builds a key on every call; a route has few label sets
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        key = (scope["method"], getattr(scope.get("route"), "path", "unmatched"), status)
        children = self._children.get(key)
        if children is None:
            method, route = key[0], key[1]
            children = (
                self._requests.labels(method, route, str(status)),
                self._latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics (bearer token when API_TOKEN is set)",
        response_class=Response,
        dependencies=[Depends(require_token)],
    )
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


class PoolCollector(Collector):
    """asyncpg pool usage, read at scrape time."""

    def __init__(self, pool: Callable[[], asyncpg.Pool | None]) -> None:
        self._pool = pool

    def collect(self) -> Iterable[Metric]:
        pool = self._pool()
        if pool is None:
            return []
        size = GaugeMetricFamily(
            "timestamp_db_pool_connections", "Connections in the asyncpg pool", labels=["state"]
        )
        size.add_metric(["open"], pool.get_size())
        size.add_metric(["idle"], pool.get_idle_size())
        size.add_metric(["max"], pool.get_max_size())
        return [size]
