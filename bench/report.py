"""Render the README "Performance" table from a results document, on stdout.

Usage: python -m bench.report [bench/results/latest.json] [--cpu]

--cpu adds a second table: CPU milliseconds per request/command/row for each process.
"""

import sys
from pathlib import Path
from typing import Any

import orjson

from bench.results import RESULTS
from bench.targets import Verdict, evaluate


def _mark(verdict: Verdict) -> str:
    return "held" if verdict.held else "**missed**"


def table(doc: dict[str, Any]) -> str:
    r, c = doc["results"], doc["ceilings"]
    v = {verdict.name: verdict for verdict in evaluate(doc)}
    details = doc.get("details", {})
    replay = details.get("replay", {})
    replay_note = (
        f" (extrapolated from {replay.get('records', 0):,} records)"
        if replay.get("extrapolated")
        else ""
    )
    rows = [
        (
            "P1 ingest: `POST /api/v1/timestamp/{ts}`, 64 connections",
            f"{r['ingest_rps']:,.0f} req/s",
            f"no-op POST {c['http_noop_post_rps']:,.0f} req/s",
            f"{r['ingest_ratio']:.2f}",
            v["ingest"].target,
            _mark(v["ingest"]),
        ),
        (
            "P1 ingest against the server itself",
            f"{r['ingest_rps']:,.0f} req/s",
            f"raw ASGI no-op POST {c['http_raw_post_rps']:,.0f} req/s",
            f"{r['ingest_raw_ratio']:.2f}",
            v["ingest_raw"].target,
            _mark(v["ingest_raw"]),
        ),
        (
            "bulk ingest: `POST /api/v1/timestamps`, 100 items, 64 connections",
            f"{r['bulk_ingest_records_per_s']:,.0f} records/s",
            f"Kafka produce {c['kafka_produce_msgs_per_s']:,.0f} msg/s",
            f"{r['bulk_ingest_ratio']:.2f}",
            v["bulk_ingest"].target,
            _mark(v["bulk_ingest"]),
        ),
        (
            "P2 sink: consumer, pre-loaded topic → empty table",
            f"{r['sink_rows_per_s']:,.0f} rows/s",
            f"bulk insert {c['pg_bulk_insert_rows_per_s']:,.0f} rows/s",
            f"{r['sink_ratio']:.2f}",
            v["sink"].target,
            _mark(v["sink"]),
        ),
        (
            "P3 replay: 1,000,000 records → empty database",
            f"{r['replay_1m_s']:.1f} s{replay_note}",
            "–",
            "–",
            v["replay_1m"].target,
            _mark(v["replay_1m"]),
        ),
        (
            "P4 end to end p50: POST sent → `GET ?wait=5` returns it",
            f"{r['e2e_p50_ms']:.1f} ms",
            "–",
            "–",
            v["e2e_p50"].target,
            _mark(v["e2e_p50"]),
        ),
        (
            f"P4 end to end p99 (open loop, {details.get('e2e', {}).get('rate', 500):g}/s)",
            f"{r['e2e_p99_ms']:.1f} ms",
            "–",
            "–",
            v["e2e_p99"].target,
            _mark(v["e2e_p99"]),
        ),
        (
            "P5 query: `GET /api/v1/timestamp/{id}`, 64 connections",
            f"{r['query_rps']:,.0f} req/s",
            f"no-op GET {c['http_noop_get_rps']:,.0f} req/s",
            f"{r['query_ratio']:.2f}",
            v["query"].target,
            _mark(v["query"]),
        ),
        (
            "P5 query against the server itself",
            f"{r['query_rps']:,.0f} req/s",
            f"raw ASGI no-op GET {c['http_raw_get_rps']:,.0f} req/s",
            f"{r['query_raw_ratio']:.2f}",
            v["query_raw"].target,
            _mark(v["query_raw"]),
        ),
    ]
    for service in ("command", "consumer", "query"):
        rows.append(
            (
                f"P6 peak RSS, {service} service",
                f"{r['rss_mb'][service]:.0f} MB",
                "–",
                "–",
                v[f"rss_{service}"].target,
                _mark(v[f"rss_{service}"]),
            )
        )
    machine = doc.get("machine", {})
    e2e = details.get("e2e", {})
    completed = r.get("e2e_completed", 1.0)
    notes = [
        f"P4 at {r.get('e2e_floor_rate', 50):g}/s, where nothing queues: p50 "
        f"{r.get('e2e_floor_p50_ms', float('nan')):.1f} ms, p99 "
        f"{r.get('e2e_floor_p99_ms', float('nan')):.1f} ms."
    ]
    if completed < 1:
        notes.append(
            f"P4 at {e2e.get('rate', 500):g}/s: {completed:.1%} of commands completed within "
            f"the client's time-outs ({e2e.get('failures')}); failed ones count in the "
            "percentiles with the time they took to fail."
        )
    lines = [
        "| scenario | ours | same-run ceiling | ratio | target | |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Measured {doc.get('date')} with `make bench` (size {doc.get('size')}) on "
        f"{machine.get('cpus')} × {machine.get('cpu')}, commit {machine.get('git_commit')}"
        f"{' (dirty)' if machine.get('git_dirty') else ''}; Kafka produce ceiling "
        f"(raw aiokafka, acks=all, idempotent) {c['kafka_produce_msgs_per_s']:,.0f} msg/s.",
        *(line for note in notes for line in ("", note)),
    ]
    return "\n".join(lines)


_CPU_GROUPS = ["noop", "command", "consumer", "query", "kafka", "postgres", "exited_children"]


def cpu_table(doc: dict[str, Any]) -> str:
    """Where the CPU went: milliseconds of CPU per request / command / row, per process."""
    details, ceilings = doc.get("details", {}), doc.get("details", {}).get("ceilings", {})
    rows = [
        ("no-op POST ceiling", "request", ceilings.get("http_noop_post", {}).get("cpu")),
        ("raw no-op POST ceiling", "request", ceilings.get("http_raw_post", {}).get("cpu")),
        ("P1 ingest", "request", details.get("ingest", {}).get("cpu")),
        ("bulk ingest", "request of 100", details.get("bulk_ingest", {}).get("cpu")),
        ("no-op GET ceiling", "request", ceilings.get("http_noop_get", {}).get("cpu")),
        ("raw no-op GET ceiling", "request", ceilings.get("http_raw_get", {}).get("cpu")),
        ("P5 query", "request", details.get("query", {}).get("cpu")),
        (
            f"P4 end to end {details.get('e2e_floor', {}).get('rate', 0):g}/s",
            "command",
            details.get("e2e_floor", {}).get("cpu"),
        ),
        (
            f"P4 end to end {details.get('e2e', {}).get('rate', 0):g}/s",
            "command",
            details.get("e2e", {}).get("cpu"),
        ),
        ("P2 sink", "row", details.get("sink", {}).get("cpu")),
        (
            "P3 replay (timestamp-ops = exited child)",
            "record",
            details.get("replay", {}).get("cpu"),
        ),
    ]
    head = "| CPU ms per unit | unit | " + " | ".join(_CPU_GROUPS) + " | other |"
    lines = [head, "|---|---|" + "---|" * (len(_CPU_GROUPS) + 1)]
    for label, unit, cpu in rows:
        if not cpu:
            continue
        cells = [cpu.get(f"{group}_ms_per_unit") for group in [*_CPU_GROUPS, "other"]]
        shown = ["–" if cell is None else f"{cell:.3f}" for cell in cells]
        lines.append(f"| {label} | {unit} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def main() -> None:
    paths = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    path = Path(paths[0]) if paths else RESULTS / "latest.json"
    document = orjson.loads(path.read_bytes())
    print(table(document))
    if "--cpu" in sys.argv:
        print()
        print(cpu_table(document))


if __name__ == "__main__":
    main()
