"""Fixtures for the black-box suite: real Kafka, real PostgreSQL, our services over HTTP.

Servers are found through the same settings the services read (KAFKA_BROKER, DB_URL, …), so
the suite runs against `make up`, a docker-compose stack or a real cluster alike, or against
Kafka and PostgreSQL containers of its own (TEST_PLATFORM=containers; integration/platforms.py).
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from harness.processes import ROOT, ServiceProcess
from harness.stack import Stack
from integration import observe
from integration.faults import start_stack
from ops.topics import TopicPlan, ensure_topics
from shared.db import create_pool
from shared.kafka import client_kwargs
from shared.schema import ensure_schema
from shared.settings import DatabaseSettings, KafkaSettings

COMMAND_URL = os.environ.get("COMMAND_URL", "http://localhost:7080")
CONSUMER_URL = os.environ.get("CONSUMER_URL", "http://localhost:7081")
QUERY_URL = os.environ.get("QUERY_URL", "http://localhost:7082")


@pytest.fixture(scope="session")
def platform() -> Iterator[None]:
    """Containers for the session when integration/platforms.py says so; their settings go into
    the environment, where the settings objects, services and commands started here read them."""
    from integration import platforms

    if not platforms.wanted():
        yield
        return
    with platforms.containers() as started, pytest.MonkeyPatch.context() as patch:
        for name, value in started.env.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def kafka_settings(platform: None) -> KafkaSettings:
    return KafkaSettings()


@pytest.fixture(scope="session")
def db_settings(platform: None) -> DatabaseSettings:
    return DatabaseSettings()


@pytest.fixture(scope="session")
async def db(db_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(db_settings)
    async with pool.acquire() as connection:
        await ensure_schema(connection)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        yield client


@pytest.fixture
async def admin(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(**client_kwargs(kafka_settings, "tests"))
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def fresh_topic(kafka_settings: KafkaSettings) -> str:
    """A new command topic (and its DLQ) of its own, so a test sees only its own records."""
    topic = f"it.{uuid.uuid4().hex[:12]}"
    await ensure_topics(kafka_settings, TopicPlan(topic, partitions=3))
    return topic


@pytest.fixture
async def stack(fresh_topic: str, services: list[ServiceProcess]) -> AsyncIterator[Stack]:
    """A command service (2 s ack timeout) and a consumer of their own, on `fresh_topic`."""
    stack = await start_stack(fresh_topic, ack_timeout_s=2.0)
    yield stack
    services += [stack.command, *stack.consumers]


@pytest.fixture(scope="session")
def observability() -> Iterator[None]:
    """Jaeger and Prometheus on this suite's ports (integration/observe.py)."""
    with observe.backends():
        yield


@pytest.fixture
def services() -> Iterator[list[ServiceProcess]]:
    """Processes a test starts; whatever is still running at the end is stopped."""
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.kill()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from integration.faults import REPORTS

    if not REPORTS:
        return
    write = terminalreporter.write_line
    write("")
    write(
        f"{'fault test':<66} {'acked':>8} {'rows':>8} {'503s':>6} {'dlq':>5} {'lost':>5} {'dup':>5}"
    )
    for r in REPORTS:
        unavailable = "-" if r.unavailable is None else str(r.unavailable)
        write(
            f"{r.test:<66} {r.acked:>8} {r.rows:>8} {unavailable:>6} {r.dlq:>5} {r.lost:>5} "
            f"{r.duplicated:>5}"
        )


SECRETS = [
    value
    for value in (
        os.environ.get("DB_PASSWORD"),
        os.environ.get("KAFKA_SASL_SECRET"),
        "devstack-Kafka-Secret-91c2",
    )
    if value and len(value) >= 12  # a short or default word (postgres) matches ordinary text
]


@pytest.fixture(scope="session", autouse=True)
def no_secret_reaches_a_log() -> Iterator[None]:
    """After the whole run, no log line of any service, broker or database holds a secret."""
    yield
    leaks = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / ".local" / "logs").rglob("*.log"))
        if path.is_file()  # not a link into a folder that is gone
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if any(secret in line for secret in SECRETS)
    ]
    assert not leaks, f"a secret appears in: {', '.join(leaks[:10])}"
