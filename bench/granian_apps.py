"""App factories for granian (`--factory`), for bench/servers.py only: the services themselves
run on `shared.server` (uvicorn)."""

from fastapi import FastAPI

from bench.noop_app import create_app as noop_app
from command_service.app import create_app as command_app
from command_service.settings import CommandSettings
from shared.logging import configure_logging
from shared.settings import ServiceSettings, load_settings


def raw_noop() -> FastAPI:
    return noop_app(load_settings(ServiceSettings))


def command() -> FastAPI:
    settings = load_settings(CommandSettings)
    configure_logging("command_service", settings.log_level, settings.log_format)
    return command_app(settings)
