"""The bench's own topics and databases: created per run, dropped afterwards."""

from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

import harness.db
from ops.topics import TopicPlan, ensure_topics
from shared.db import connect
from shared.kafka import client_kwargs, dead_letter_topic
from shared.settings import DatabaseSettings, KafkaSettings


def database_url(name: str) -> str:
    """DB_URL with its database replaced by `name`."""
    parts = urlsplit(DatabaseSettings().db_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin_connection() -> asyncpg.Connection:
    return await connect(DatabaseSettings(), "timestamp-bench")


async def check_database() -> str:
    """Fail fast (with the server's reason) when DB_URL/DB_PASSWORD do not let us in."""
    connection = await _admin_connection()
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def create_databases(names: list[str]) -> None:
    connection = await _admin_connection()
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_databases(names: list[str]) -> None:
    connection = await _admin_connection()
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def count_rows(url: str) -> int:
    """Rows of the product's table in the database at `url`."""
    settings = DatabaseSettings().model_copy(update={"db_url": url})
    connection = await connect(settings, "timestamp-bench")
    try:
        return await harness.db.count_rows(connection)
    finally:
        await connection.close()


async def create_topics(topics: list[str]) -> None:
    for topic in topics:
        await ensure_topics(KafkaSettings(), TopicPlan(topic), wait_s=30)


async def delete_topics(topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(**client_kwargs(KafkaSettings(), "bench"))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [
            name
            for topic in topics
            for name in (topic, dead_letter_topic(topic))
            if name in existing
        ]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
