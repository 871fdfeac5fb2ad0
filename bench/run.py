"""The benchmark harness: ceilings first, then P1–P6, then latest.json + latest.png.

    python -m bench.run --size tiny|quick|full [--out DIR] [--keep] [--tracing]

Needs the platform (Kafka, PostgreSQL) up: `make bench` / `make bench-quick` run it through
`devstack/platform.sh with`. Everything it creates (topics bench.<run>.*, databases
bench_<run>_*, service processes on free ports) is its own and is removed afterwards.
--tracing: those services trace every request to Jaeger (bench/traced.py).
"""

import argparse
import asyncio
import os
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from bench import ceilings, chart, infra, scenarios
from bench.machine import machine_info
from bench.report import cpu_table, table
from bench.results import RESULTS, missing_numbers, now_iso, write
from bench.sizes import SIZES, Size
from bench.stack import live_stack, stack_peak_rss_mb, start_stack, wait_caught_up
from bench.subprocs import say
from bench.traced import recorded, tracing

SEED = 7


class Run:
    def __init__(self, size: Size) -> None:
        self.size = size
        self.id = f"{int(time.time()) % 10**8:08d}"
        self.live_topic = f"bench.{self.id}.live"
        self.data_topic = f"bench.{self.id}.data"  # P2's pre-load, extended to P3's size
        self.databases = {
            kind: f"bench_{self.id}_{kind}" for kind in ("ceiling", "live", "sink", "replay")
        }
        self.details: dict[str, Any] = {"run_id": self.id}
        self.phases: dict[str, float] = {}
        self.load: dict[str, float] = {}  # 1-minute load average after each phase (neighbours)

    def url(self, kind: str) -> str:
        return infra.database_url(self.databases[kind])

    def phase(self, name: str, started: float) -> None:
        self.phases[name] = round(time.monotonic() - started, 1)
        self.load[name] = os.getloadavg()[0]

    def ceilings(self, workdir: Path) -> dict[str, float]:
        size = self.size
        started = time.monotonic()
        http = ceilings.http_noop(size, workdir)
        raw = ceilings.http_noop(size, workdir, raw=True)
        self.phase("ceiling_http", started)
        started = time.monotonic()
        say(f"ceiling: raw producer, {size.sink_records:,} commands (= P2's pre-load)")
        kafka = ceilings.kafka_produce(self.data_topic, size.sink_records, SEED)
        say(f"  {kafka['msgs_per_s']:,.0f} msgs/s ({kafka['value_bytes']} B values)")
        self.phase("ceiling_kafka", started)
        started = time.monotonic()
        say(f"ceiling: raw asyncpg bulk insert, the same {size.sink_records:,} rows")
        pg = ceilings.pg_bulk_insert(self.url("ceiling"), size.sink_records, SEED)
        say(f"  {pg['best_rows_per_s']:,.0f} rows/s (best of unnest/COPY)")
        self.phase("ceiling_pg", started)
        self.details["ceilings"] = {
            "http_noop_post": {**http.post.to_json(), "cpu": http.cpu["post"]},
            "http_noop_get": {**http.get.to_json(), "cpu": http.cpu["get"]},
            "http_noop_peak_rss_mb": http.peak_rss_mb,
            "http_raw_post": {**raw.post.to_json(), "cpu": raw.cpu["post"]},
            "http_raw_get": {**raw.get.to_json(), "cpu": raw.cpu["get"]},
            "kafka_produce": kafka,
            "pg_bulk_insert": pg,
        }
        return {
            "http_noop_post_rps": http.post.ok_rps,
            "http_noop_get_rps": http.get.ok_rps,
            "http_raw_post_rps": raw.post.ok_rps,
            "http_raw_get_rps": raw.get.ok_rps,
            "kafka_produce_msgs_per_s": kafka["msgs_per_s"],
            "pg_bulk_insert_rows_per_s": pg["best_rows_per_s"],
        }

    def live(self, workdir: Path) -> dict[str, Any]:
        """P1, P4, P5 and P6 on one stack of the three services."""
        size = self.size
        stack = live_stack(self.id, self.live_topic, self.url("live"))
        started = time.monotonic()
        try:
            start_stack(stack)
            p1, p1_cpu = scenarios.ingest(stack, size)
            self.phase("p1_ingest", started)
            catch_up = wait_caught_up(stack)
            say(f"  consumer caught up {catch_up:.1f} s after P1")
            started = time.monotonic()
            bulk, bulk_cpu = scenarios.bulk_ingest(stack, size)
            self.phase("bulk_ingest", started)
            bulk_catch_up = wait_caught_up(stack)
            started = time.monotonic()
            floor_ids, ids = workdir / "floor-ids.txt", workdir / "e2e-ids.txt"
            floor = scenarios.end_to_end(stack, size.floor_rate, size.floor_s, floor_ids)
            self.phase("p4_e2e_floor", started)
            started = time.monotonic()
            warmup = scenarios.end_to_end(  # as wrk's warm-up: JIT-compiles Kafka's paths
                stack, size.e2e_rate, size.e2e_warmup_s, workdir / "warmup-ids.txt", "warm-up"
            )
            self.phase("p4_e2e_warmup", started)
            started = time.monotonic()
            p4 = scenarios.end_to_end(stack, size.e2e_rate, size.e2e_s, ids)
            self.phase("p4_e2e", started)
            settle = wait_caught_up(stack)
            with ids.open("a") as all_ids:
                all_ids.write(floor_ids.read_text())
            started = time.monotonic()
            p5, p5_cpu = scenarios.query(stack, size, ids)
            self.phase("p5_query", started)
            rss = stack_peak_rss_mb(stack)
        finally:
            stack.stop()
        self.details |= {
            "ingest": {**p1.to_json(), "cpu": p1_cpu},
            "ingest_consumer_catch_up_s": catch_up,
            "bulk_ingest": {**bulk.to_json(), "items": scenarios.BULK_ITEMS, "cpu": bulk_cpu},
            "bulk_ingest_consumer_catch_up_s": bulk_catch_up,
            "e2e": p4,
            "e2e_floor": floor,
            "e2e_warmup": warmup,
            "e2e_consumer_catch_up_s": settle,
            "query": {**p5.to_json(), "cpu": p5_cpu},
            "rss_mb_live_stack": rss,
        }
        return {"p1": p1, "bulk": bulk, "p4": p4, "floor": floor, "p5": p5, "rss": rss}

    def sink_and_replay(self) -> tuple[scenarios.SinkResult, dict[str, Any]]:
        size = self.size
        started = time.monotonic()
        p2 = scenarios.sink(
            self.data_topic, self.url("sink"), size.sink_records, self.id, timeout=900
        )
        self.phase("p2_sink", started)
        extra = size.replay_records - size.sink_records
        if extra > 0:
            started = time.monotonic()
            say(f"extending the topic by {extra:,} commands to {size.replay_records:,} for P3")
            more = ceilings.kafka_produce(self.data_topic, extra, SEED + 1, stream=True)
            self.details["replay_preload"] = more
            self.phase("p3_preload", started)
        started = time.monotonic()
        p3 = scenarios.replay(self.data_topic, self.url("replay"), size.replay_records, self.id)
        self.phase("p3_replay", started)
        self.details |= {"sink": p2.to_json(), "replay": p3}
        return p2, p3


def measure(run: Run, workdir: Path, postgres: str) -> dict[str, Any]:
    date = now_iso()
    machine = machine_info(postgres)
    ceiling = run.ceilings(workdir)
    live = run.live(workdir)
    p2, p3 = run.sink_and_replay()
    p1, p4, p5, rss, floor = live["p1"], live["p4"], live["p5"], live["rss"], live["floor"]
    bulk_records = live["bulk"].ok_rps * scenarios.BULK_ITEMS
    results = {
        "ingest_rps": p1.ok_rps,
        "ingest_ratio": p1.ok_rps / ceiling["http_noop_post_rps"],
        "ingest_raw_ratio": p1.ok_rps / ceiling["http_raw_post_rps"],
        "ingest_p99_ms": p1.p99_ms,
        "bulk_ingest_records_per_s": bulk_records,
        "bulk_ingest_ratio": bulk_records / ceiling["kafka_produce_msgs_per_s"],
        "sink_rows_per_s": p2.rows_per_s,
        "sink_ratio": p2.rows_per_s / ceiling["pg_bulk_insert_rows_per_s"],
        "replay_1m_s": p3["replay_1m_s"],
        "replay_extrapolated": p3["extrapolated"],
        "e2e_p50_ms": p4["latency"]["p50_ms"],
        "e2e_p95_ms": p4["latency"]["p95_ms"],
        "e2e_p99_ms": p4["latency"]["p99_ms"],
        "e2e_completed": p4["completed"] / p4["sent"],
        "e2e_floor_rate": floor["rate"],
        "e2e_floor_p50_ms": floor["latency"]["p50_ms"],
        "e2e_floor_p99_ms": floor["latency"]["p99_ms"],
        "query_rps": p5.ok_rps,
        "query_ratio": p5.ok_rps / ceiling["http_noop_get_rps"],
        "query_raw_ratio": p5.ok_rps / ceiling["http_raw_get_rps"],
        "query_p99_ms": p5.p99_ms,
        "rss_mb": {
            "command": rss["command"],
            "consumer": max(rss["consumer"], p2.peak_rss_mb),  # busiest consumer of the run
            "query": rss["query"],
        },
    }
    return {
        "date": date,
        "size": run.size.name,
        "sizes": run.size.__dict__,
        "machine": machine,
        "ceilings": ceiling,
        "results": results,
        "details": run.details,
        "phases_s": run.phases,
        "load_average_after_phase": run.load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the run's topics and databases")
    parser.add_argument(
        "--tracing", action="store_true", help="trace every request to Jaeger (observe.sh)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    run = Run(SIZES[args.size])
    postgres = asyncio.run(infra.check_database())
    say(f"run {run.id}, size {args.size}; PostgreSQL {postgres}")
    asyncio.run(infra.create_topics([run.live_topic, run.data_topic]))
    asyncio.run(infra.create_databases(list(run.databases.values())))
    try:
        with (
            tracing() if args.tracing else nullcontext(),
            tempfile.TemporaryDirectory(prefix="bench-") as workdir,
        ):
            document = measure(run, Path(workdir), postgres) | {"tracing": recorded()}
    finally:
        if not args.keep:
            asyncio.run(infra.delete_topics([run.live_topic, run.data_topic]))
            asyncio.run(infra.drop_databases(list(run.databases.values())))
    document["wall_s"] = round(time.monotonic() - started, 1)
    bad = missing_numbers(document)
    if bad:
        raise SystemExit(f"results lack numbers for: {', '.join(bad)}")
    latest = write(args.out, document)
    chart.render(document, args.out / "latest.png")
    on = "on" if document["tracing"]["on"] else "off"
    say(f"wrote {latest} and {args.out / 'latest.png'} in {document['wall_s']} s, tracing {on}")
    print(table(document))
    print()
    print(cpu_table(document))


if __name__ == "__main__":
    main()
