"""Every alert rule's and every dashboard panel's PromQL through a real Prometheus scraping the
platform's services (integration/observe.py starts it): no query fails, every metric a rule
names is exposed, every panel's query returns data, and the dead letter the test sends raises
its alert. And `promtool check rules` and `promtool test rules` pass (promtool is built with
Prometheus)."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from harness.waiting import eventually
from integration.conftest import COMMAND_URL
from integration.observe import BUILD_TIMEOUT_S, PROMETHEUS_URL
from shared.kafka import client_kwargs
from shared.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[1]
RULES_FILE = ROOT / "deploy/prometheus/alerts.yml"
RULES = yaml.safe_load(RULES_FILE.read_text())
RULE_TESTS_FILE = ROOT / "deploy/prometheus/alerts_test.yml"
PROMTOOL = ROOT / ".local/tools/promtool"
DASHBOARD = json.loads((ROOT / "deploy/grafana/timestamp-cqrs.json").read_text())
JOBS = {"timestamp-command", "timestamp-consumer", "timestamp-query"}


async def query(http: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    answer = await http.get(f"{PROMETHEUS_URL}/api/v1/query", params={"query": expr})
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "success", (expr, body)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


@pytest.mark.timeout(BUILD_TIMEOUT_S)  # the first run builds Prometheus
async def test_rules_and_panels_evaluate(http: httpx.AsyncClient, observability: None) -> None:
    for _ in range(20):
        assert (await http.post(f"{COMMAND_URL}/app")).status_code == 200
    producer = AIOKafkaProducer(**client_kwargs(KafkaSettings(), "tests"), acks="all")
    await producer.start()
    try:  # a dead letter, so that the DLQ panel has a series
        await producer.send_and_wait("timestamp.command.v1", b"not json", key=b"observe-test")
    finally:
        await producer.stop()

    async def scraped() -> bool:
        up = await query(http, "up == 1")
        dead = await query(http, "timestamp_consumer_dead_letters_total")
        return JOBS <= {series["metric"]["job"] for series in up} and bool(dead)

    await eventually(scraped, 60, "every service scraped after a dead letter", 0.5)
    metadata = (await http.get(f"{PROMETHEUS_URL}/api/v1/metadata")).json()["data"]
    for group in RULES["groups"]:
        for rule in group["rules"]:
            await query(http, rule["expr"])
            for name in set(re.findall(r"\btimestamp_[a-z_]+", rule["expr"])):
                assert name in metadata or name.removesuffix("_total") in metadata, (
                    rule["alert"],
                    name,
                )

    async def every_panel_has_data() -> list[str] | None:
        empty = [
            f"{panel['title']}: {target['expr']}"
            for panel in DASHBOARD["panels"]
            for target in panel["targets"]
            if not await query(http, target["expr"])
        ]
        return None if empty else []

    await eventually(every_panel_has_data, 60, "data in every dashboard panel", 1)

    async def dead_letter_alert() -> list[dict[str, Any]]:
        return await query(http, 'ALERTS{alertname="TimestampDeadLettersArriving"}')

    await eventually(dead_letter_alert, 60, "the dead-letter alert, for the record sent", 1)


@pytest.mark.timeout(BUILD_TIMEOUT_S)  # the first run builds promtool with Prometheus
@pytest.mark.parametrize(
    "command", [["check", "rules", str(RULES_FILE)], ["test", "rules", str(RULE_TESTS_FILE)]]
)
def test_promtool(command: list[str], observability: None) -> None:
    done = subprocess.run([PROMTOOL, *command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr
