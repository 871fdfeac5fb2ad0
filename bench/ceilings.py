"""What the same machine can do without our code, measured first in every run."""

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import CpuWindow
from bench.sizes import Size
from bench.subprocs import run_json, say
from bench.wrk import WrkResult, run_wrk
from harness.processes import ServiceProcess


@dataclass(frozen=True)
class HttpCeiling:
    post: WrkResult
    get: WrkResult
    peak_rss_mb: float
    cpu: dict[str, dict[str, float]]


def _measure(
    noop: ServiceProcess, script: str, size: Size, args: list[str] | None = None
) -> tuple[WrkResult, dict[str, float]]:
    run_wrk(noop.url, script, size.warmup_s, size.connections, args)
    window = CpuWindow.open({"noop": noop.pid})
    result = run_wrk(noop.url, script, size.http_s, size.connections, args)
    return result, window.close(result.requests)


def http_noop(size: Size, workdir: Path, raw: bool = False) -> HttpCeiling:
    """(a) A no-op FastAPI app on `shared.server.serve`, loaded by wrk like P1 and P5; with
    `raw`, a no-op raw ASGI callable on the same server: what the server alone can do."""
    kind = "raw no-op" if raw else "no-op"
    ids = workdir / "noop-ids.txt"
    ids.write_text("\n".join(str(uuid.uuid4()) for _ in range(1000)) + "\n")
    env = {"NOOP_RAW": "1"} if raw else {}
    noop = ServiceProcess("bench.noop_app", env, "noop-raw" if raw else "noop").start()
    try:
        asyncio.run(noop.wait_healthy())
        say(f"ceiling: {kind} POST, {size.connections} connections, {size.http_s:g} s")
        post, post_cpu = _measure(noop, "post.lua", size)
        say(f"  {post.ok_rps:,.0f} req/s")
        say(f"ceiling: {kind} GET, {size.connections} connections, {size.http_s:g} s")
        get, get_cpu = _measure(noop, "get.lua", size, [str(ids)])
        say(f"  {get.ok_rps:,.0f} req/s")
        return HttpCeiling(post, get, noop.peak_rss_mb(), {"post": post_cpu, "get": get_cpu})
    finally:
        noop.stop()


def kafka_produce(topic: str, count: int, seed: int, stream: bool = False) -> dict[str, Any]:
    """(b) Raw aiokafka producer loop, acks=all + idempotence, our message (TimestampCommand)."""
    args = ["--topic", topic, "--count", str(count), "--seed", str(seed)]
    return run_json("bench.produce", [*args, "--stream"] if stream else args, timeout=900)


def pg_bulk_insert(db_url: str, count: int, seed: int) -> dict[str, Any]:
    """(c) Raw asyncpg unnest/COPY of the same rows into an empty table of our schema."""
    return run_json(
        "bench.pg_ceiling",
        ["--db-url", db_url, "--count", str(count), "--seed", str(seed)],
        timeout=900,
    )
