"""consumer_service/runtime.py: connecting in the background, readiness while it connects,
and a stop that closes what was opened."""

import asyncio

from prometheus_client import generate_latest

from consumer_service.app import create_app
from consumer_service.settings import ConsumerSettings
from tests.serving import serving

UNREACHABLE = "postgresql://127.0.0.1:1/postgres"  # refused at once: it keeps retrying


async def test_while_connecting_it_is_live_not_ready_and_stops_at_once() -> None:
    app = create_app(ConsumerSettings(db_url=UNREACHABLE, retry_max_s=0.05))
    async with asyncio.timeout(5):
        async with serving(app) as client:
            health, ready = await client.get("/health"), await client.get("/ready")
            scraped = generate_latest(app.state.registry).decode()
    assert health.status_code == 200
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert {name: check["cause"] for name, check in checks.items()} == {
        "database": "not connected yet",
        "kafka": "not connected yet",
    }
    assert "timestamp_consumer_lag_records" not in scraped  # nothing to read before it connects
    assert "timestamp_db_pool_connections" not in scraped
