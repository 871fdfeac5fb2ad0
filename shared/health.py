"""`/health` (never touches dependencies) and `/ready` (checks them) for every service."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter

from shared.redact import redact
from shared.responses import OrjsonResponse

ReadinessCheck = Callable[[], Awaitable[dict[str, Any]]]
UP = {"status": "UP"}


class NotReady(RuntimeError):
    """A check's own verdict: its message is shown in `/ready` (other errors by type only)."""


def health_router(checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return UP

    @router.get("/ready", summary="Readiness: dependencies reachable")
    async def ready() -> OrjsonResponse:
        report: dict[str, Any] = {}
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
        body = {"status": "UP" if healthy else "DOWN", "checks": report}
        return OrjsonResponse(body, status_code=200 if healthy else 503)

    return router
