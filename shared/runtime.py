"""What a service serves its requests with: the runtime its lifespan opens.

Each service's `runtime.py` holds a frozen dataclass of the resources it runs on and the
`open_runtime` that opens them over an `AsyncExitStack`. The lifespan yields it as Starlette's
lifespan state, so a FastAPI route reads `request.state.runtime` and a fast-lane handler
`scope["state"]["runtime"]`."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI

from shared.health import Readiness
from shared.settings import ServiceSettings
from shared.stopping import StopHooks, stop_hooks


class ServiceRuntime(Protocol):
    @property
    def settings(self) -> ServiceSettings: ...

    async def ready(self) -> Readiness:
        """`/ready`: every dependency checked."""
        ...


# Given the hooks run once the server starts to stop (shared/stopping.py).
RuntimeOpener = Callable[[StopHooks], AbstractAsyncContextManager[ServiceRuntime]]
LifespanState = dict[str, ServiceRuntime]


def runtime_lifespan(
    open_runtime: RuntimeOpener,
) -> Callable[[FastAPI], AbstractAsyncContextManager[LifespanState]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[LifespanState]:
        async with open_runtime(stop_hooks(app)) as runtime:
            yield {"runtime": runtime}

    return lifespan
