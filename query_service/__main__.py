"""`python -m query_service` / `timestamp-query-service`."""

from query_service.app import create_app
from query_service.settings import QuerySettings
from shared.server import run_service


def main() -> None:
    run_service("query_service", QuerySettings, create_app)


if __name__ == "__main__":
    main()
