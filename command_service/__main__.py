"""`python -m command_service` / `timestamp-command-service`."""

from command_service.app import create_app
from command_service.settings import CommandSettings
from shared.server import run_service


def main() -> None:
    run_service("command_service", CommandSettings, create_app)


if __name__ == "__main__":
    main()
