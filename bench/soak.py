"""`make soak`: the whole system for 10 minutes at 500 commands/s (POST → GET ?wait, bench.e2e),
after a 60-s reference run of the same load in the same process tree. Every 10 s: RSS of each
service, and what could make the tail worse (PostgreSQL checkpoints and autovacuum/analyze runs,
generation-2 GCs in the services, Kafka segment rolls). Writes bench/results/soak-<date>.json
and .png: RSS slope per service over the last 8 minutes, p99 of the soak against the
reference's, and the p99 of windows with each kind of event against windows without.

    python -m bench.soak [--seconds 600] [--rate 500]
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import infra
from bench.jsonout import parse
from bench.machine import machine_info
from bench.soak_chart import render
from bench.stack import live_stack, stack_pids, start_stack
from bench.subprocs import say
from harness.http import http_get
from harness.processes import ROOT, memory_mb
from harness.stack import Stack
from shared.db import connect
from shared.schema import TABLE
from shared.settings import DatabaseSettings

RESULTS = ROOT / "bench" / "results"
SAMPLE_S = 10.0
TAIL_S = 480.0  # RSS growth is judged over the last 8 minutes


@dataclass
class Samples:
    t_s: list[float] = field(default_factory=list)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)
    events: dict[str, list[int]] = field(default_factory=dict)  # cumulative counters
    load1: list[float] = field(default_factory=list)  # the machine's 1-minute load average


def gen2_collections(url: str) -> int:
    """python_gc_collections_total{generation="2"} from a service's /metrics."""
    _, body = http_get(url + "/metrics", timeout=8)
    for line in body.decode().splitlines():
        if line.startswith('python_gc_collections_total{generation="2"}'):
            return int(float(line.split()[-1]))
    return 0


def kafka_segments(topic: str) -> int:
    """Log segments of `topic` in the devstack's single Kafka node (0 elsewhere)."""
    return sum(1 for _ in (ROOT / ".local" / "kafka" / "data").glob(f"{topic}-*/*.log"))


async def pg_counters(db_url: str) -> dict[str, int]:
    connection = await connect(DatabaseSettings().model_copy(update={"db_url": db_url}), "soak")
    try:
        checkpoints = await connection.fetchval(
            "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
        )
        row = await connection.fetchrow(
            "SELECT autovacuum_count, autoanalyze_count FROM pg_stat_user_tables"
            f" WHERE relname = '{TABLE}'"
        )
    finally:
        await connection.close()
    vacuums, analyzes = (row["autovacuum_count"], row["autoanalyze_count"]) if row else (0, 0)
    return {"checkpoint": checkpoints, "autovacuum": vacuums, "autoanalyze": analyzes}


def e2e(stack: Stack, rate: int, seconds: float, workdir: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.e2e",
            *("--command", stack.command.url, "--query", stack.query_url),
            *("--rate", str(rate), "--seconds", str(seconds)),
            *("--ids-out", str(workdir / f"{name}-ids.txt")),
            *("--series-out", str(workdir / f"{name}-series.json")),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def sample(stack: Stack, topic: str, db_url: str, samples: Samples, started: float) -> None:
    samples.t_s.append(round(time.monotonic() - started, 1))
    samples.load1.append(os.getloadavg()[0])
    for name, pid in stack_pids(stack).items():
        samples.rss_mb.setdefault(name, []).append(round(memory_mb(pid), 2))
    counters = {"kafka_segment": kafka_segments(topic)}
    try:
        counters |= asyncio.run(pg_counters(db_url))
        for service in stack.services:
            counters[f"gc2_{service.role}"] = gen2_collections(service.url)
    except (OSError, TimeoutError) as error:  # a stalled service or database: counted next time
        say(f"  a counter could not be read at {samples.t_s[-1]:.0f} s: {error!r}")
    for name, value in counters.items():  # one missed at the first samples: its first value
        samples.events.setdefault(name, [value] * (len(samples.t_s) - 1))
    for name, series in samples.events.items():
        series.append(counters[name] if name in counters else series[-1])


def slope_mb_per_min(t_s: list[float], values: list[float]) -> float:
    """Least-squares slope of values over time, in MB per minute."""
    n = len(t_s)
    mean_t, mean_v = sum(t_s) / n, sum(values) / n
    var = sum((t - mean_t) ** 2 for t in t_s)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in zip(t_s, values, strict=True))
    return 60 * cov / var if var else 0.0


def rss_verdict(samples: Samples) -> dict[str, dict[str, float]]:
    end = samples.t_s[-1]
    tail = [i for i, t in enumerate(samples.t_s) if t >= end - TAIL_S]
    out = {}
    for name, series in samples.rss_mb.items():
        times, values = [samples.t_s[i] for i in tail], [series[i] for i in tail]
        slope = slope_mb_per_min(times, values)
        out[name] = {
            "slope_mb_per_min": round(slope, 4),
            "growth_last_8_min_mb": round(slope * TAIL_S / 60, 2),
            "first_mb": values[0],
            "last_mb": values[-1],
            "max_mb": max(series),
            "largest_10s_step_mb": round(
                max(b - a for a, b in zip(values, values[1:], strict=False)), 2
            ),
        }
    return out


def attribution(samples: Samples, windows: list[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """For each kind of event: how many soak windows saw one, and their mean p99 against the
    mean p99 of the windows that saw none."""
    p99_at = {round(w["t_s"]): w["p99_ms"] for w in windows}
    out: dict[str, dict[str, Any]] = {}
    for name, counts in samples.events.items():
        hit: list[float] = []
        miss: list[float] = []
        for i in range(1, len(counts)):
            window = round(samples.t_s[i] / SAMPLE_S) * round(SAMPLE_S)
            p99 = p99_at.get(window)
            if p99 is not None:
                (hit if counts[i] > counts[i - 1] else miss).append(p99)
        out[name] = {
            "events": counts[-1] - counts[0],
            "windows_with": len(hit),
            "p99_ms_with": round(sum(hit) / len(hit), 1) if hit else None,
            "p99_ms_without": round(sum(miss) / len(miss), 1) if miss else None,
        }
    return out


def load_correlation(samples: Samples, windows: list[dict[str, float]]) -> float | None:
    """Pearson correlation of each window's p99 with the machine's load average then: near 1
    when the tail follows what else runs on the machine rather than the system itself."""
    p99_at = {round(w["t_s"]): w["p99_ms"] for w in windows}
    pairs = [
        (load, p99_at[key])
        for t, load in zip(samples.t_s, samples.load1, strict=True)
        if (key := round(t / SAMPLE_S) * round(SAMPLE_S)) in p99_at
    ]
    if len(pairs) < 3:
        return None
    loads, p99s = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
    mean_l, mean_p = sum(loads) / len(loads), sum(p99s) / len(p99s)
    cov = sum((a - mean_l) * (b - mean_p) for a, b in pairs)
    var_l = sum((a - mean_l) ** 2 for a in loads)
    var_p = sum((b - mean_p) ** 2 for b in p99s)
    return round(cov / (var_l * var_p) ** 0.5, 2) if var_l and var_p else None


def run_phase(
    stack: Stack, args: argparse.Namespace, seconds: float, workdir: Path, name: str
) -> tuple[dict[str, Any], list[dict[str, float]], Samples]:
    say(f"{name}: {args.rate}/s for {seconds:g} s")
    samples, started = Samples(), time.monotonic()
    process = e2e(stack, args.rate, seconds, workdir, name)
    try:
        while process.poll() is None:
            sample(stack, args.topic, args.db_url, samples, started)
            try:
                process.wait(SAMPLE_S - (time.monotonic() - started) % SAMPLE_S)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise RuntimeError(f"bench.e2e exited {process.returncode}")
    result = parse(output)
    windows: list[dict[str, float]] = orjson.loads((workdir / f"{name}-series.json").read_bytes())
    latency = result["latency"]
    say(f"  p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms")
    return result, windows, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--reference-seconds", type=float, default=60)
    parser.add_argument("--rate", type=int, default=500)
    args = parser.parse_args()
    run_id = f"soak{uuid.uuid4().hex[:8]}"
    args.topic, database = f"bench.{run_id}", f"bench_{run_id}"
    args.db_url = infra.database_url(database)
    workdir = ROOT / ".local" / "bench" / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    postgres = asyncio.run(infra.check_database())
    asyncio.run(infra.create_topics([args.topic]))
    asyncio.run(infra.create_databases([database]))
    stack = live_stack(run_id, args.topic, args.db_url)
    try:
        start_stack(stack)
        run_phase(stack, args, 10, workdir, "warmup")
        reference, _, _ = run_phase(stack, args, args.reference_seconds, workdir, "reference")
        soak, windows, samples = run_phase(stack, args, args.seconds, workdir, "soak")
    finally:
        stack.stop()
        asyncio.run(infra.delete_topics([args.topic]))
        asyncio.run(infra.drop_databases([database]))
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(postgres),
        "load_average": {
            "before": load_before,
            "after": Path("/proc/loadavg").read_text().split()[:3],
        },
        "rate": args.rate,
        "seconds": args.seconds,
        "reference_p99_ms": reference["latency"]["p99_ms"],
        "soak_p99_ms": soak["latency"]["p99_ms"],
        "p99_ratio": round(soak["latency"]["p99_ms"] / reference["latency"]["p99_ms"], 2),
        "rss": rss_verdict(samples),
        "tail_causes": attribution(samples, windows),
        "p99_load_correlation": load_correlation(samples, windows),
        "reference": reference,
        "soak": soak,
        "windows": windows,
        "samples": {
            "t_s": samples.t_s,
            "rss_mb": samples.rss_mb,
            "events": samples.events,
            "load1": samples.load1,
        },
    }
    stamp = document["date"].replace(":", "-").replace("+00-00", "Z")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"soak-{stamp}.json"
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    render(document, path.with_suffix(".png"))
    say(
        f"soak: p99 {document['soak_p99_ms']:.1f} ms, "
        f"reference {document['reference_p99_ms']:.1f} ms; {path}"
    )
    for name, verdict in document["rss"].items():
        say(f"  {name}: RSS {verdict['growth_last_8_min_mb']:+.2f} MB over the last 8 min")


if __name__ == "__main__":
    main()
