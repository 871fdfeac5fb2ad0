"""The three services for P1/P4/P5/P6, started as `make up` starts them, on a topic and a
database of the run's own (so neither the dev platform's data nor other users disturb them)."""

import time
from typing import Any

import orjson

from bench.procs import Service, http_get


def ready_checks(service: Service) -> dict[str, Any]:
    status, body = http_get(service.url + "/ready")
    document: dict[str, Any] = orjson.loads(body)
    checks: dict[str, Any] = document.get("checks", {})
    return checks if status == 200 else {}


def consumer_applied(consumer: Service) -> int:
    try:
        return int(ready_checks(consumer).get("kafka", {}).get("applied", 0))
    except (OSError, ValueError):
        return 0


def consumer_caught_up(consumer: Service) -> bool:
    lag = ready_checks(consumer).get("kafka", {}).get("lag")
    return bool(lag) and all(value == 0 for value in lag.values())


def consumer_env(topic: str, group: str, db_url: str) -> dict[str, str]:
    return {"KAFKA_CONSUMER_TOPIC": topic, "KAFKA_GROUP_ID": group, "DB_URL": db_url}


class Stack:
    def __init__(self, run_id: str, topic: str, db_url: str) -> None:
        self.command = Service(
            "command_service", f"{run_id}-command", {"KAFKA_PUBLISH_TOPIC": topic}
        )
        self.consumer = Service(
            "consumer_service",
            f"{run_id}-consumer",
            consumer_env(topic, f"bench-{run_id}-live", db_url),
        )
        self.query = Service("query_service", f"{run_id}-query", {"DB_URL": db_url})
        self.services = [self.command, self.consumer, self.query]

    def start(self) -> None:
        for service in self.services:
            service.start()
        for service in self.services:
            service.wait_until("/ready", timeout=90)

    def wait_caught_up(self, timeout: float = 180) -> float:
        started = time.monotonic()
        while not consumer_caught_up(self.consumer):
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"consumer still lagging after {timeout}s")
            time.sleep(0.2)
        return time.monotonic() - started

    def pids(self) -> dict[str, int]:
        return {"command": self.command.pid, "consumer": self.consumer.pid, "query": self.query.pid}

    def peak_rss_mb(self) -> dict[str, float]:
        return {
            "command": self.command.peak_rss_mb(),
            "consumer": self.consumer.peak_rss_mb(),
            "query": self.query.peak_rss_mb(),
        }

    def stop(self) -> None:
        for service in self.services:
            service.stop()
