"""Run a service the way every one runs: settings, logging, uvicorn + uvloop + httptools."""

import gc
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import ServiceSettings, load_settings
from shared.stopping import StopHooks, stop_hooks
from shared.tracing import start_tracing, stop_tracing
from shared.workers import Supervisor, bind

S = TypeVar("S", bound=ServiceSettings)


class _Server(uvicorn.Server):
    """Runs the app's stop hooks as the shutdown starts (shared/stopping.py). And: uvicorn
    re-raises SIGTERM once it has shut down gracefully, so the process would die of the signal
    (exit -15). A clean, graceful stop is a success: exit code 0."""

    def __init__(self, config: uvicorn.Config, hooks: StopHooks) -> None:
        super().__init__(config)
        self._hooks = hooks

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._hooks.run()  # before uvicorn waits for the requests in flight
        await super().shutdown(sockets)

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()


def serve(app: FastAPI, settings: ServiceSettings, sock: socket.socket | None = None) -> None:
    """Blocks until SIGTERM/SIGINT; in-flight requests finish, then the lifespan closes.
    `sock`: a listening socket to accept on (a worker's) instead of binding one."""
    config = uvicorn.Config(
        app,
        host=settings.server_host,
        port=settings.server_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=20,
        server_header=False,
        proxy_headers=False,  # nothing reads the client address: one ASGI layer less per request
    )
    # Everything that exists by now (modules, the app, pydantic's and the libraries' internals:
    # a few hundred thousand objects) lives as long as the process. Frozen, it is left out of
    # every full collection, which would otherwise walk it: 20-50 ms with the event loop
    # stopped, every request in flight delayed by as much. What the lifespan opens later
    # (connections) stays collectable.
    config.load()  # the protocol and loop modules too (uvicorn skips loading it again)
    gc.collect()
    gc.freeze()
    _Server(config, stop_hooks(app)).run(sockets=None if sock is None else [sock])


def run_service(name: str, kind: type[S], create_app: Callable[[S], FastAPI]) -> None:
    """The service in this process, or in WEB_CONCURRENCY worker processes sharing its port."""
    settings = load_settings(kind)
    if settings.web_concurrency == 1:
        _run_worker(name, settings, create_app)
        return
    configure_logging(name, settings.log_level, settings.log_format, traced=False)
    sock = bind(settings.server_host, settings.server_port)
    supervisor = Supervisor(
        settings.web_concurrency, lambda: _run_worker(name, settings, create_app, sock)
    )
    raise SystemExit(supervisor.run())


def _run_worker(
    name: str,
    settings: S,
    create_app: Callable[[S], FastAPI],
    sock: socket.socket | None = None,
) -> None:
    traced = start_tracing(f"timestamp-{name.replace('_', '-')}")
    configure_logging(name, settings.log_level, settings.log_format, traced)
    try:
        serve(create_app(settings), settings, sock)
    finally:
        stop_tracing()
