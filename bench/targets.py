"""The performance targets and their verdicts for one results document: the one place that
says what each target is (the README table and the chart take it from here)."""

from dataclasses import dataclass
from typing import Any

INGEST_RATIO = 0.5  # of the same-run ceiling: no-op POST, raw no-op POST, Kafka produce
QUERY_RATIO = 0.6  # of the no-op GET and the raw no-op GET
SINK_RATIO = 0.5  # of the PostgreSQL bulk insert ceiling, and at least SINK_FLOOR_ROWS_PER_S
SINK_FLOOR_ROWS_PER_S = 50_000
REPLAY_1M_S = 10
E2E_P50_MS = 5  # at 500 commands/s
E2E_P99_MS = 25
RSS_LIMIT_MB = 80  # peak, per service process


@dataclass(frozen=True)
class Verdict:
    name: str
    value: float
    unit: str
    target: str  # as the README table states it
    limit: float  # what `value` is held to, in `unit`
    held: bool


def _at_least(name: str, value: float, unit: str, limit: float, target: str) -> Verdict:
    return Verdict(name, value, unit, target, limit, value >= limit)


def _ratio(name: str, value: float, of: str, limit: float) -> Verdict:
    return _at_least(name, value, f"× {of}", limit, f"ratio ≥ {limit}")


def _at_most(name: str, value: float, unit: str, limit: float) -> Verdict:
    return Verdict(name, value, unit, f"≤ {limit} {unit}", limit, value <= limit)


def evaluate(document: dict[str, Any]) -> list[Verdict]:
    results, ceilings = document["results"], document["ceilings"]
    sink_needed = max(SINK_RATIO * ceilings["pg_bulk_insert_rows_per_s"], SINK_FLOOR_ROWS_PER_S)
    sink_target = f"≥ {SINK_RATIO} × ceiling and ≥ {SINK_FLOOR_ROWS_PER_S:,} rows/s"
    verdicts = [
        _ratio("ingest", results["ingest_ratio"], "no-op POST", INGEST_RATIO),
        _at_least("sink", results["sink_rows_per_s"], "rows/s", sink_needed, sink_target),
        _ratio("ingest_raw", results["ingest_raw_ratio"], "raw no-op POST", INGEST_RATIO),
        _ratio("bulk_ingest", results["bulk_ingest_ratio"], "Kafka produce", INGEST_RATIO),
        _at_most("replay_1m", results["replay_1m_s"], "s", REPLAY_1M_S),
        _at_most("e2e_p50", results["e2e_p50_ms"], "ms", E2E_P50_MS),
        _at_most("e2e_p99", results["e2e_p99_ms"], "ms", E2E_P99_MS),
        _ratio("query", results["query_ratio"], "no-op GET", QUERY_RATIO),
        _ratio("query_raw", results["query_raw_ratio"], "raw no-op GET", QUERY_RATIO),
    ]
    for service, mb in results["rss_mb"].items():
        verdicts.append(_at_most(f"rss_{service}", mb, "MB", RSS_LIMIT_MB))
    return verdicts


REQUIRED_KEYS = [
    "ceilings.http_noop_post_rps",
    "ceilings.http_noop_get_rps",
    "ceilings.http_raw_post_rps",
    "ceilings.http_raw_get_rps",
    "ceilings.kafka_produce_msgs_per_s",
    "ceilings.pg_bulk_insert_rows_per_s",
    "results.ingest_rps",
    "results.ingest_ratio",
    "results.ingest_raw_ratio",
    "results.bulk_ingest_records_per_s",
    "results.bulk_ingest_ratio",
    "results.sink_rows_per_s",
    "results.sink_ratio",
    "results.replay_1m_s",
    "results.e2e_p50_ms",
    "results.e2e_p99_ms",
    "results.query_rps",
    "results.query_ratio",
    "results.query_raw_ratio",
    "results.rss_mb.command",
    "results.rss_mb.consumer",
    "results.rss_mb.query",
]


def lookup(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        value = value[part]
    return value
