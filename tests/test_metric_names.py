"""Every service's /metrics follows the Prometheus conventions: our metrics in the
`timestamp_` namespace with their unit in the name, and the process and GC collectors."""

import re
from collections.abc import Callable

import pytest
from aiokafka import TopicPartition
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from command_service.app import create_app as command_app
from command_service.settings import CommandSettings
from consumer_service.app import create_app as consumer_app
from consumer_service.metrics import ProgressCollector
from consumer_service.progress import Progress
from consumer_service.settings import ConsumerSettings
from query_service.app import create_app as query_app
from query_service.settings import QuerySettings

UNITS = re.compile(r"_(total|seconds|records|partitions|connections|stopped)$")


class NothingFetched:
    """A consumer that has fetched nothing yet: no end offsets."""

    def highwater(self, partition: TopicPartition) -> int | None:
        return None


def families(registry: CollectorRegistry) -> dict[str, str]:
    text = generate_latest(registry).decode()
    return {family.name: family.type for family in text_string_to_metric_families(text)}


@pytest.mark.parametrize(
    "app",
    [
        lambda: command_app(CommandSettings()),
        lambda: consumer_app(ConsumerSettings()),
        lambda: query_app(QuerySettings()),
    ],
    ids=["command", "consumer", "query"],
)
def test_names_follow_the_conventions(app: Callable[[], FastAPI]) -> None:
    found = families(app().state.registry)
    assert "process_cpu_seconds" in found and "process_resident_memory_bytes" in found
    assert "python_gc_collections" in found
    # `_created` series are prometheus-client's own companions of counters and histograms
    ours = [
        name
        for name in found
        if not name.startswith(("process_", "python_")) and not name.endswith("_created")
    ]
    assert ours, found
    for name in ours:
        assert name.startswith("timestamp_"), name
        exposed = name + "_total" if found[name] == "counter" else name
        assert UNITS.search(exposed), f"{exposed}: no unit in the name"


def test_the_last_commit_is_a_timestamp_not_an_age() -> None:
    progress = Progress()
    registry = CollectorRegistry()
    registry.register(ProgressCollector(lambda: (progress, NothingFetched())))
    assert "timestamp_consumer_last_commit_timestamp_seconds" not in families(registry)
    progress.last_commit_time = 1_700_000_000.5
    text = generate_latest(registry).decode()
    assert "timestamp_consumer_last_commit_timestamp_seconds 1.7000000005e+09" in text


def test_every_dead_letter_reason_is_a_series_from_zero() -> None:
    from consumer_service.metrics import ConsumerMetrics

    registry = CollectorRegistry()
    ConsumerMetrics(registry)
    text = generate_latest(registry).decode()
    for reason in ("not_json", "wrong_schema", "bad_timestamp", "conflict", "internal_error"):
        assert f'timestamp_consumer_dead_letters_total{{reason="{reason}"}} 0.0' in text
