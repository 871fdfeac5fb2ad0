"""The performance targets (P1-P6) and their verdicts for one results document."""

from dataclasses import dataclass
from typing import Any

SINK_FLOOR_ROWS_PER_S = 50_000
RSS_LIMIT_MB = 120


@dataclass(frozen=True)
class Verdict:
    name: str
    value: float
    unit: str
    target: str
    held: bool


def evaluate(document: dict[str, Any]) -> list[Verdict]:
    results, ceilings = document["results"], document["ceilings"]
    sink = results["sink_rows_per_s"]
    sink_needed = max(0.5 * ceilings["pg_bulk_insert_rows_per_s"], SINK_FLOOR_ROWS_PER_S)
    verdicts = [
        Verdict(
            "ingest",
            results["ingest_ratio"],
            "× no-op POST",
            "≥ 0.5",
            results["ingest_ratio"] >= 0.5,
        ),
        Verdict(
            "sink",
            sink,
            "rows/s",
            f"≥ 0.5 × ceiling and ≥ {SINK_FLOOR_ROWS_PER_S:,} (= {sink_needed:,.0f})",
            sink >= sink_needed,
        ),
        Verdict(
            "ingest_raw",
            results["ingest_raw_ratio"],
            "× raw no-op POST",
            "≥ 0.5",
            results["ingest_raw_ratio"] >= 0.5,
        ),
        Verdict(
            "bulk_ingest",
            results["bulk_ingest_ratio"],
            "× Kafka produce",
            "≥ 0.5",
            results["bulk_ingest_ratio"] >= 0.5,
        ),
        Verdict("replay_1m", results["replay_1m_s"], "s", "≤ 30 s", results["replay_1m_s"] <= 30),
        Verdict("e2e_p50", results["e2e_p50_ms"], "ms", "≤ 10 ms", results["e2e_p50_ms"] <= 10),
        Verdict("e2e_p99", results["e2e_p99_ms"], "ms", "≤ 50 ms", results["e2e_p99_ms"] <= 50),
        Verdict(
            "query", results["query_ratio"], "× no-op GET", "≥ 0.6", results["query_ratio"] >= 0.6
        ),
        Verdict(
            "query_raw",
            results["query_raw_ratio"],
            "× raw no-op GET",
            "≥ 0.6",
            results["query_raw_ratio"] >= 0.6,
        ),
    ]
    for service, mb in results["rss_mb"].items():
        verdicts.append(
            Verdict(f"rss_{service}", mb, "MB", f"≤ {RSS_LIMIT_MB} MB", mb <= RSS_LIMIT_MB)
        )
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
