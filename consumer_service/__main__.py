"""`python -m consumer_service` / `timestamp-consumer-service`."""

from consumer_service.app import create_app
from consumer_service.settings import ConsumerSettings
from shared.malloc import unmap_large_buffers
from shared.server import run_service


def main() -> None:
    unmap_large_buffers()
    run_service("consumer_service", ConsumerSettings, create_app)


if __name__ == "__main__":
    main()
