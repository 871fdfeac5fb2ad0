"""Where the suite finds Kafka and PostgreSQL: the running platform, or containers of its own.

TEST_PLATFORM=containers (or no TEST_PLATFORM, nothing on KAFKA_BROKER's port and a Docker
engine answering) starts `apache/kafka:4.0.1` and `postgres:15` with testcontainers, on random
host ports; TEST_PLATFORM=running uses KAFKA_BROKER / DB_URL as they are. Where no registry is
reachable, `make compose-images` builds local stand-ins under those tags.
"""

import io
import os
import socket
import tarfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Self

from shared.settings import KafkaSettings

# Ryuk, testcontainers' reaper, is one more image from a registry; these fixtures stop their
# containers themselves (ExitStack), also when the session fails.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

from testcontainers.community.postgres import PostgresContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

KAFKA_IMAGE = os.environ.get("KAFKA_IMAGE", "apache/kafka:4.0.1")
POSTGRES_IMAGE = os.environ.get("POSTGRES_IMAGE", "postgres:15")
POSTGRES_PASSWORD = "containers-Secret-5e1b"


@dataclass(frozen=True)
class Platform:
    """The settings that point the suite (and what it starts) at Kafka and PostgreSQL."""

    env: dict[str, str]


class ApacheKafkaContainer(DockerContainer):
    """One KRaft node of the official apache/kafka image, reachable from the host.

    The advertised listener must name the host port Docker picks, known only after start:
    the container waits for a start script, written once the port is known (as
    testcontainers-java's ApacheKafkaContainer does).
    """

    START = "/tmp/testcontainers_start.sh"

    def __init__(self, image: str = KAFKA_IMAGE) -> None:
        super().__init__(image)
        self.with_exposed_ports(9092)
        settings = {
            "NODE_ID": "1",
            "PROCESS_ROLES": "broker,controller",
            "LISTENERS": "PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094",
            "LISTENER_SECURITY_PROTOCOL_MAP": ",".join(
                f"{name}:PLAINTEXT" for name in ("BROKER", "PLAINTEXT", "CONTROLLER")
            ),
            "INTER_BROKER_LISTENER_NAME": "BROKER",
            "CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
            "OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "OFFSETS_TOPIC_NUM_PARTITIONS": "1",
            "TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "AUTO_CREATE_TOPICS_ENABLE": "false",
            "HEAP_OPTS": "-Xms256m -Xmx512m",
        }
        for key, value in settings.items():
            self.with_env(f"KAFKA_{key}", value)
        wait = f"while [ ! -f {self.START} ]; do sleep 0.1; done; exec sh {self.START}"
        self.with_command(["sh", "-c", wait])

    def start(self) -> Self:
        super().start()
        advertised = f"PLAINTEXT://{self.bootstrap_server()},BROKER://localhost:9093"
        script = f"export KAFKA_ADVERTISED_LISTENERS={advertised}\nexec /etc/kafka/docker/run\n"
        self._write(script.encode(), self.START)
        LogMessageWaitStrategy("Kafka Server started").with_startup_timeout(180).wait_until_ready(
            self
        )
        return self

    def bootstrap_server(self) -> str:
        return f"{self.get_container_host_ip()}:{self.get_exposed_port(9092)}"

    def _write(self, content: bytes, path: str) -> None:
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            info = tarfile.TarInfo(name=path.lstrip("/"))
            info.size, info.mtime, info.mode = len(content), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(content))
        self.get_wrapped_container().put_archive("/", archive.getvalue())


def wanted() -> bool:
    """Whether the test session runs on containers of its own (see the module's docstring)."""
    choice = os.environ.get("TEST_PLATFORM", "")
    if choice in ("containers", "running"):
        return choice == "containers"
    if choice:
        raise ValueError(f"TEST_PLATFORM must be 'containers' or 'running', not {choice!r}")
    return not _kafka_answers() and _engine_answers()


def _kafka_answers() -> bool:
    host, _, port = KafkaSettings().bootstrap_servers[0].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def _engine_answers() -> bool:
    import docker

    if not _engine_socket_accepts():
        return False  # docker-py would leave the socket of its failed connect open
    client = docker.from_env(timeout=5)
    try:
        client.ping()
    except Exception:  # noqa: BLE001  any failure means: no engine to use
        return False
    finally:
        client.close()
    return True


def _engine_socket_accepts() -> bool:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return True  # a TCP engine: let the client find out
    with socket.socket(socket.AF_UNIX) as probe:
        probe.settimeout(5)
        try:
            probe.connect(host.removeprefix("unix://"))
        except OSError:
            return False
    return True


@contextmanager
def containers() -> Iterator[Platform]:
    """Kafka and PostgreSQL containers for one session; removed (with volumes) afterwards."""
    with ExitStack() as stack:
        postgres = PostgresContainer(
            POSTGRES_IMAGE,
            username="postgres",
            password=POSTGRES_PASSWORD,
            dbname="postgres",
            driver=None,
        )
        stack.enter_context(postgres)
        kafka = stack.enter_context(ApacheKafkaContainer())
        host, port = postgres.get_container_host_ip(), postgres.get_exposed_port(5432)
        yield Platform(
            {
                "KAFKA_BROKER": kafka.bootstrap_server(),
                "DB_URL": f"postgresql://{host}:{port}/postgres",
                "DB_USERNAME": "postgres",
                "DB_PASSWORD": POSTGRES_PASSWORD,
                "DB_SSLMODE": "disable",
            }
        )
