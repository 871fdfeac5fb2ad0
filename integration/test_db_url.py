"""DB_URL against the real PostgreSQL: what the URL says is what we do, and no password shows."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from harness.processes import ops
from shared.db import create_pool
from shared.settings import DatabaseSettings, load_settings

pytestmark = [pytest.mark.postgres]
PASSWORD = os.environ.get("DB_PASSWORD", "")


def url_with(user: str, password: str, database: str = "postgres", query: str = "") -> str:
    parts = urlsplit(DatabaseSettings().db_url)
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}", query=query))


async def test_a_jdbc_url_with_its_user_schema_and_name_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    query = "currentSchema=information_schema&ApplicationName=jdbc-client&ssl=false"
    monkeypatch.setenv("DB_URL", "jdbc:" + url_with("postgres", PASSWORD, query=query))
    monkeypatch.delenv("DB_USERNAME", raising=False)
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    pool = await create_pool(load_settings(DatabaseSettings), min_size=1)
    try:
        assert await pool.fetchval("SHOW search_path") == "information_schema"
        assert await pool.fetchval("SHOW application_name") == "jdbc-client"
        assert await pool.fetchval("SELECT current_user") == "postgres"
    finally:
        await pool.close()


@pytest.mark.kafka
def test_ops_never_prints_the_password_of_db_url(fresh_topic: str) -> None:
    assert len(PASSWORD) >= 8, "the devstack's DB_PASSWORD is needed"
    url = url_with("postgres", PASSWORD, f"dr_{uuid.uuid4().hex[:10]}")
    env = {"KAFKA_CONSUMER_TOPIC": fresh_topic, "DB_PASSWORD": "", "DB_URL": url}
    for args in (["replay"], ["reconcile"]):
        done = ops(*args, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert PASSWORD not in done.stdout + done.stderr, args
    refused = ops("replay", "--db-url", url.replace("postgresql:", "postgresq:"), **env)
    assert refused.stderr.startswith("configuration error: DB_URL:"), refused.stderr
    assert PASSWORD not in refused.stdout + refused.stderr
