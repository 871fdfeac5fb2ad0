"""`/health` (never touches dependencies) and `/ready` (the runtime's checks of them) for every
service."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request

from shared.redact import redact
from shared.responses import OrjsonResponse

ReadinessCheck = Callable[[], Awaitable[dict[str, Any]]]
UP = {"status": "UP"}


class NotReady(RuntimeError):
    """A check's own verdict: its message is shown in `/ready` (other errors by type only)."""


@dataclass(frozen=True)
class Readiness:
    healthy: bool
    checks: dict[str, dict[str, Any]]  # by check name: its status, and what it reported


async def check_readiness(checks: Mapping[str, ReadinessCheck]) -> Readiness:
    """Every check, in order; a failed one is reported, not raised."""
    report: dict[str, dict[str, Any]] = {}
    healthy = True
    for name, check in checks.items():
        try:
            report[name] = {"status": "UP", **await check()}
        except Exception as error:  # noqa: BLE001 - a failed check is reported, not raised
            healthy = False
            cause = redact(str(error))[:200]
            report[name] = {"status": "DOWN", "error": type(error).__name__, "cause": cause}
            if isinstance(error, NotReady):
                report[name]["detail"] = str(error)
    return Readiness(healthy, report)


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return UP

    @router.get("/ready", summary="Readiness: dependencies reachable")
    async def ready(request: Request) -> OrjsonResponse:
        readiness: Readiness = await request.state.runtime.ready()
        body = {"status": "UP" if readiness.healthy else "DOWN", "checks": readiness.checks}
        return OrjsonResponse(body, status_code=200 if readiness.healthy else 503)

    return router
