"""Transport security against the real servers: Kafka SSL and SASL_SSL (SCRAM), PostgreSQL
sslmode=verify-full; the devstack CA is trusted, an unrelated CA is refused."""

import os
import ssl
import uuid
from pathlib import Path
from typing import Literal

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import SecretStr

from harness.processes import ROOT, ServiceProcess
from harness.waiting import eventually
from shared.db import connect
from shared.kafka import client_kwargs
from shared.settings import DatabaseSettings, KafkaSettings, SslMode

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TLS = ROOT / ".local" / "tls"
CA, OTHER_CA = TLS / "ca.crt", TLS / "other-ca.crt"
SSL_BROKER = f"localhost:{os.environ.get('KAFKA_SSL_PORT', '9094')}"
SASL_BROKER = f"localhost:{os.environ.get('KAFKA_SASL_SSL_PORT', '9095')}"
SASL_USER = os.environ.get("KAFKA_SASL_USER", "timestamp")
SASL_SECRET = os.environ.get("KAFKA_SASL_SECRET", "devstack-Kafka-Secret-91c2")
TlsProtocol = Literal["SSL", "SASL_SSL"]

if not CA.exists():
    pytest.skip("the devstack TLS material is missing (run make up)", allow_module_level=True)


def kafka(protocol: TlsProtocol, cafile: Path, password: str = SASL_SECRET) -> KafkaSettings:
    broker = SSL_BROKER if protocol == "SSL" else SASL_BROKER
    return KafkaSettings(
        kafka_broker=broker,
        kafka_security_protocol=protocol,
        kafka_ssl_cafile=cafile,
        kafka_sasl_username=SASL_USER,
        kafka_sasl_password=SecretStr(password),
    )


async def produce_once(settings: KafkaSettings, topic: str) -> None:
    producer = AIOKafkaProducer(
        **client_kwargs(settings, "tests"),
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=5000,
    )
    try:
        await producer.start()
        await producer.send_and_wait(topic, b"tls", key=b"k")
    finally:
        await producer.stop()


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
async def test_kafka_over_tls_with_the_trusted_ca(protocol: TlsProtocol, fresh_topic: str) -> None:
    await produce_once(kafka(protocol, CA), fresh_topic)


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL"])
async def test_kafka_refuses_an_untrusted_certificate(
    protocol: TlsProtocol, fresh_topic: str
) -> None:
    with pytest.raises(KafkaConnectionError):
        await produce_once(kafka(protocol, OTHER_CA), fresh_topic)


async def test_kafka_sasl_refuses_a_wrong_password(fresh_topic: str) -> None:
    with pytest.raises(KafkaError):
        await produce_once(kafka("SASL_SSL", CA, password="wrong"), fresh_topic)


def database(mode: SslMode, cafile: Path) -> DatabaseSettings:
    return DatabaseSettings(db_sslmode=mode, db_sslrootcert=cafile)


async def test_postgres_verify_full_with_the_trusted_ca() -> None:
    connection = await connect(database("verify-full", CA), "tests")
    try:
        encrypted = await connection.fetchval(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
    finally:
        await connection.close()
    assert encrypted is True


async def test_postgres_refuses_an_untrusted_certificate() -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await connect(database("verify-full", OTHER_CA), "tests")


async def test_the_services_work_end_to_end_over_tls(
    fresh_topic: str, db: asyncpg.Pool, http: httpx.AsyncClient, services: list[ServiceProcess]
) -> None:
    tls_env = {
        "KAFKA_BROKER": SASL_BROKER,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SSL_CAFILE": str(CA),
        "KAFKA_SASL_USERNAME": SASL_USER,
        "KAFKA_SASL_PASSWORD": SASL_SECRET,
        "DB_SSLMODE": "verify-full",
        "DB_SSLROOTCERT": str(CA),
    }
    command = ServiceProcess("command_service", {**tls_env, "KAFKA_PUBLISH_TOPIC": fresh_topic})
    consumer = ServiceProcess(
        "consumer_service",
        {
            **tls_env,
            "KAFKA_CONSUMER_TOPIC": fresh_topic,
            "KAFKA_GROUP_ID": f"g-{fresh_topic}",
        },
    )
    query = ServiceProcess("query_service", tls_env)
    services += [command.start(), consumer.start(), query.start()]
    for service in (command, consumer, query):
        await service.wait_healthy(path="/ready")
    response = await http.post(f"{command.url}/app")
    assert response.status_code == 200
    record_id = response.json()["id"]
    found = await http.get(f"{query.url}/api/v1/timestamp/{record_id}", params={"wait": 10})
    assert found.status_code == 200
    ssl_backends = await db.fetchval(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
        "WHERE s.ssl AND a.application_name = 'timestamp-query-listener'"
    )
    assert ssl_backends >= 1


async def test_a_service_with_an_untrusted_database_ca_is_not_ready(
    http: httpx.AsyncClient, services: list[ServiceProcess]
) -> None:
    query = ServiceProcess(
        "query_service", {"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": str(OTHER_CA)}
    ).start()
    services.append(query)
    await query.wait_healthy()

    async def refused() -> bool:
        return (await http.get(f"{query.url}/ready")).status_code == 503

    await eventually(refused, 10, "/ready to report the database DOWN")
    response = await http.get(f"{query.url}/api/v1/timestamp/{uuid.uuid4()}")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
