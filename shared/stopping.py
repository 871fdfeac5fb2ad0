"""What must happen as soon as the server starts to stop.

uvicorn runs the lifespan's shutdown only after every connection has closed, so a request that
holds on (a long-poll) would keep the server up until the graceful timeout cuts it. Hooks added
here run when the server starts to stop, before it waits for the requests in flight."""

from collections.abc import Callable

from fastapi import FastAPI

StopHook = Callable[[], None]


class StopHooks:
    def __init__(self) -> None:
        self._hooks: list[StopHook] = []

    def add(self, hook: StopHook) -> None:
        self._hooks.append(hook)

    def run(self) -> None:
        for hook in self._hooks:
            hook()


def stop_hooks(app: FastAPI) -> StopHooks:
    """The app's hooks, created on first use: the server and the lifespan share them."""
    hooks: StopHooks | None = getattr(app.state, "stop_hooks", None)
    if hooks is None:
        hooks = app.state.stop_hooks = StopHooks()
    return hooks
