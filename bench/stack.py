"""The three services for P1/P4/P5/P6, started as `make up` starts them, on a topic and a
database of the run's own (so neither the dev platform's data nor other users disturb them)."""

import asyncio
import time
from typing import Any

import orjson

from harness.http import http_get
from harness.processes import ServiceProcess
from harness.stack import Stack, consumer_env
from harness.waiting import wait_until


def live_stack(run_id: str, topic: str, db_url: str) -> Stack:
    """Not started yet: `start` it, and `stop` it in any case."""
    group = f"bench-{run_id}-live"
    return Stack(
        topic,
        group,
        ServiceProcess("command_service", {"KAFKA_PUBLISH_TOPIC": topic}, f"{run_id}-command"),
        [
            ServiceProcess(
                "consumer_service",
                consumer_env(topic, group, DB_URL=db_url),
                f"{run_id}-consumer",
            )
        ],
        query=ServiceProcess("query_service", {"DB_URL": db_url}, f"{run_id}-query"),
    )


def start_stack(stack: Stack) -> None:
    """Every service started and answering /ready."""
    asyncio.run(stack.start().wait_ready(timeout=90))


def ready_checks(service: ServiceProcess) -> dict[str, Any]:
    status, body = http_get(service.url + "/ready")
    document: dict[str, Any] = orjson.loads(body)
    checks: dict[str, Any] = document.get("checks", {})
    return checks if status == 200 else {}


def consumer_applied(consumer: ServiceProcess) -> int:
    try:
        return int(ready_checks(consumer).get("kafka", {}).get("applied", 0))
    except (OSError, ValueError):
        return 0


def consumer_caught_up(consumer: ServiceProcess) -> bool:
    lag = ready_checks(consumer).get("kafka", {}).get("lag")
    return bool(lag) and all(value == 0 for value in lag.values())


def wait_caught_up(stack: Stack, timeout: float = 180) -> float:
    """Seconds until the consumer has no lag on any partition."""
    started = time.monotonic()
    [consumer] = stack.consumers
    wait_until(lambda: consumer_caught_up(consumer), timeout, "the consumer to catch up", 0.2)
    return time.monotonic() - started


def stack_pids(stack: Stack) -> dict[str, int]:
    return {role: service.pid for role, service in stack.by_role().items()}


def stack_peak_rss_mb(stack: Stack) -> dict[str, float]:
    return {role: service.peak_rss_mb() for role, service in stack.by_role().items()}
