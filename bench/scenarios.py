"""P1–P5 against our services (P6, peak RSS, is read from the processes by the caller)."""

import asyncio
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import infra
from bench.cpu import CpuWindow
from bench.sizes import MILLION, Size
from bench.stack import consumer_applied, stack_pids
from bench.subprocs import run_json, say, timed
from bench.wrk import WrkResult, run_wrk
from harness.processes import ServiceProcess
from harness.stack import Stack, consumer_env
from harness.waiting import wait_until


def _wrk(
    stack: Stack, url: str, script: str, size: Size, args: list[str] | None = None
) -> tuple[WrkResult, dict[str, float]]:
    """A warm-up run, then the measured one with the CPU used by each process during it."""
    run_wrk(url, script, size.warmup_s, size.connections, args)
    window = CpuWindow.open(stack_pids(stack))
    result = run_wrk(url, script, size.http_s, size.connections, args)
    return result, window.close(result.requests)


def ingest(stack: Stack, size: Size) -> tuple[WrkResult, dict[str, float]]:
    """P1: POST /api/v1/timestamp/{ts} at `size.connections` connections."""
    say(f"P1 ingest: POST, {size.connections} connections, {size.http_s:g} s")
    result, cpu = _wrk(stack, stack.command.url, "post.lua", size)
    say(f"  {result.ok_rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms, errors {result.errors}")
    return result, cpu


BULK_ITEMS = 100  # timestamps per request of bench/wrk/bulk.lua


def bulk_ingest(stack: Stack, size: Size) -> tuple[WrkResult, dict[str, float]]:
    """POST /api/v1/timestamps with BULK_ITEMS timestamps at `size.connections` connections."""
    say(f"bulk ingest: POST {BULK_ITEMS} items, {size.connections} connections, {size.http_s:g} s")
    result, cpu = _wrk(stack, stack.command.url, "bulk.lua", size)
    say(f"  {result.ok_rps * BULK_ITEMS:,.0f} records/s, p99 {result.p99_ms:.1f} ms")
    return result, cpu


def end_to_end(
    stack: Stack, rate: int, seconds: float, ids_file: Path, label: str = ""
) -> dict[str, Any]:
    """P4: open loop at `rate`/s, POST sent -> GET ?wait=5 returned the record."""
    say(f"P4 end to end{f' {label}' if label else ''}: open loop {rate}/s for {seconds:g} s")
    window = CpuWindow.open(stack_pids(stack))
    result = run_json(
        "bench.e2e",
        [
            "--command",
            stack.command.url,
            "--query",
            stack.query_url,
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
            "--ids-out",
            str(ids_file),
        ],
        timeout=seconds + 120,
    )
    result["cpu"] = window.close(result["sent"])
    latency = result["latency"]
    say(
        f"  completed {result['completed']}/{result['sent']}, p50 {latency['p50_ms']:.1f} ms, "
        f"p99 {latency['p99_ms']:.1f} ms, failures {result['failures'] or 'none'}"
    )
    return result


def query(stack: Stack, size: Size, ids_file: Path) -> tuple[WrkResult, dict[str, float]]:
    """P5: GET existing ids at `size.connections` connections."""
    say(f"P5 query: GET existing ids, {size.connections} connections, {size.http_s:g} s")
    result, cpu = _wrk(stack, stack.query_url, "get.lua", size, [str(ids_file)])
    say(f"  {result.ok_rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms, errors {result.errors}")
    return result, cpu


@dataclass(frozen=True)
class SinkResult:
    records: int
    rows_per_s: float  # from the first committed batch to the last
    wall_s: float  # from process spawn to all rows committed
    startup_s: float  # spawn -> first batch committed
    peak_rss_mb: float
    cpu: dict[str, float]  # from spawn to all rows committed; ms per row

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def sink(topic: str, db_url: str, records: int, run_id: str, timeout: float) -> SinkResult:
    """P2: a consumer service process on a pre-loaded topic, its own empty database."""
    say(f"P2 sink: consumer service on {records:,} pre-loaded commands")
    env = consumer_env(topic, f"bench-{run_id}-sink", DB_URL=db_url)
    consumer = ServiceProcess("consumer_service", env, f"{run_id}-sink").start()
    window = CpuWindow.open({"consumer": consumer.pid})
    first: list[tuple[float, int]] = []  # when the first batch was in, and how many it applied

    def all_applied() -> float | None:
        consumer.assert_running()
        applied = consumer_applied(consumer)
        now = time.monotonic()
        if applied and not first:
            first.append((now, applied))
        return now if applied >= records else None

    try:
        now = wait_until(all_applied, timeout, f"the sink consumer to apply {records:,} records")
        rss = consumer.peak_rss_mb()
        cpu = window.close(records)
    finally:
        consumer.stop()
    [(first_at, first_applied)] = first
    rows = asyncio.run(infra.count_rows(db_url))
    if rows != records:
        raise AssertionError(f"sink table holds {rows} rows, expected {records}")
    steady = (
        (records - first_applied) / max(now - first_at, 1e-9) if records > first_applied else 0.0
    )
    result = SinkResult(
        records=records,
        rows_per_s=steady if steady else records / (now - consumer.started),
        wall_s=now - consumer.started,
        startup_s=first_at - consumer.started,
        peak_rss_mb=rss,
        cpu=cpu,
    )
    say(f"  {result.rows_per_s:,.0f} rows/s (wall {result.wall_s:.1f} s incl. start-up)")
    return result


_REPLAYED = re.compile(r"replayed (\d+) records in ([0-9.]+) s")


def replay(topic: str, db_url: str, records: int, run_id: str) -> dict[str, Any]:
    """P3: `timestamp-ops replay --db-url …` of `records` into an empty database."""
    say(f"P3 replay: {records:,} records into an empty database")
    ops = str(Path(sys.executable).with_name("timestamp-ops"))
    command = [ops, "replay", "--topic", topic, "--db-url", db_url]
    window = CpuWindow.open({})
    command += ["--group", f"bench-{run_id}-replay"]
    wall, output = timed(command, timeout=1800, tick=window.sample)
    cpu = window.close(records)
    rows = asyncio.run(infra.count_rows(db_url))
    if rows != records:
        raise AssertionError(f"replayed table holds {rows} rows, expected {records}")
    match = _REPLAYED.search(output)
    inner = float(match.group(2)) if match else wall
    overhead = wall - inner  # interpreter start, connections, group join
    per_million = wall if records == MILLION else overhead + inner * MILLION / records
    say(f"  {wall:.1f} s wall for {records:,} ({records / inner:,.0f} records/s)")
    return {
        "records": records,
        "wall_s": wall,
        "replay_loop_s": inner,
        "records_per_s": records / inner,
        "replay_1m_s": per_million,
        "extrapolated": records != MILLION,
        "cpu": cpu,
        "how": "measured"
        if records == MILLION
        else f"start-up {overhead:.1f} s + loop time x {MILLION // records}",
    }
