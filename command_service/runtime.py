"""What the command service serves requests with: the publisher, open while the app runs."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from command_service.metrics import CommandMetrics
from command_service.publisher import CommandPublisher
from command_service.settings import CommandSettings
from shared.health import Readiness, check_readiness


@dataclass(frozen=True)
class CommandRuntime:
    settings: CommandSettings
    publisher: CommandPublisher
    metrics: CommandMetrics

    async def ready(self) -> Readiness:
        return await check_readiness({"kafka": self.publisher.ready})


CommandRuntimeOpener = Callable[
    [CommandSettings, CommandMetrics], AbstractAsyncContextManager[CommandRuntime]
]


@asynccontextmanager
async def open_runtime(
    settings: CommandSettings, metrics: CommandMetrics
) -> AsyncIterator[CommandRuntime]:
    async with AsyncExitStack() as stack:
        publisher = CommandPublisher(settings)
        await publisher.start()
        stack.push_async_callback(publisher.stop)
        yield CommandRuntime(settings, publisher, metrics)
