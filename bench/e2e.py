"""P4, end to end: an open-loop generator. Command i is sent at t0 + i/rate whether or not
earlier ones were answered; after its 200 the ticket is read back with
GET /api/v1/timestamp/{id}?wait=5 (repeated on 404 until a deadline). Latency is from the
moment the POST was written to the moment the GET returned the record. A command that fails
(error status, timeout) counts in the percentiles with the time it took to fail, a lower bound,
so an overloaded run cannot look fast by dropping its slowest commands.

    python -m bench.e2e --command URL --query URL --rate 500 --seconds 60 --ids-out FILE
        [--series-out FILE --window-s 10]

Prints one BENCHJSON line with latency percentiles and how far the generator lagged; with
--series-out, also the percentiles of each window of commands finished in it (the soak's).
"""

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import uvloop

from bench.jsonout import emit
from bench.stats import summary_ms
from harness.http import Pool

TIMESTAMP = "2009-09-28T19:03:12Z"
WAIT_S = 5
GIVE_UP_S = 30


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # POST written -> GET returned it
    from_schedule: list[float] = field(default_factory=list)  # intended send -> GET returned
    acks: list[float] = field(default_factory=list)  # POST written -> 200
    lags: list[float] = field(default_factory=list)  # intended send -> POST written
    failed: list[float] = field(default_factory=list)  # POST written -> failure noticed
    ids: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    finished: list[tuple[float, float]] = field(default_factory=list)  # (done, latency), all


def series(
    finished: list[tuple[float, float]], started: float, window_s: float
) -> list[dict[str, float]]:
    """Latency percentiles of the commands that finished in each `window_s` since `started`."""
    windows: dict[int, list[float]] = {}
    for done, latency in finished:
        windows.setdefault(int((done - started) // window_s), []).append(latency)
    return [
        {"t_s": (index + 1) * window_s, **summary_ms(windows[index])} for index in sorted(windows)
    ]


def _pool(url: str) -> Pool:
    parts = urlsplit(url)
    return Pool(parts.hostname or "127.0.0.1", parts.port or 80)


async def _one(intended: float, commands: Pool, queries: Pool, outcome: Outcome) -> None:
    sent = time.perf_counter()
    outcome.lags.append(sent - intended)
    failure = await _roundtrip(commands, queries, outcome, sent)
    done = time.perf_counter()
    outcome.finished.append((done, done - sent))
    if failure is not None:
        outcome.failures[failure] += 1
        outcome.failed.append(done - sent)
        return
    outcome.latencies.append(done - sent)
    outcome.from_schedule.append(done - intended)


async def _roundtrip(commands: Pool, queries: Pool, outcome: Outcome, sent: float) -> str | None:
    """POST, then GET ?wait until the record is there; None on success, else what failed."""
    try:
        status, body, _ = await commands.request("POST", f"/api/v1/timestamp/{TIMESTAMP}", 10)
        if status != 200:
            return f"POST {status}"
        acked = time.perf_counter()
        record_id = orjson.loads(body)["id"]
        while True:
            status, _, _ = await queries.request(
                "GET", f"/api/v1/timestamp/{record_id}?wait={WAIT_S}", WAIT_S + 5
            )
            if status == 200:
                break
            if status != 404 or time.perf_counter() - sent > GIVE_UP_S:
                return f"GET {status}"
    except Exception as error:  # noqa: BLE001 - any failure is a failed command, counted
        return type(error).__name__
    outcome.acks.append(acked - sent)
    outcome.ids.append(record_id)
    return None


async def run(
    command_url: str, query_url: str, rate: float, seconds: float
) -> tuple[Outcome, float]:
    """The outcome, and the perf_counter moment the first command was due."""
    commands, queries = _pool(command_url), _pool(query_url)
    outcome = Outcome()
    tasks: set[asyncio.Task[None]] = set()
    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        intended = started + i / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(intended, commands, queries, outcome))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=GIVE_UP_S + 15)
    outcome.failures["unfinished"] += len(tasks)
    outcome.failed += [GIVE_UP_S + 15] * len(tasks)
    commands.close()
    queries.close()
    return outcome, started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--command", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--ids-out", type=Path, required=True)
    parser.add_argument("--series-out", type=Path)
    parser.add_argument("--window-s", type=float, default=10.0)
    args = parser.parse_args()
    outcome, started = uvloop.run(run(args.command, args.query, args.rate, args.seconds))
    args.ids_out.write_text("\n".join(outcome.ids) + "\n")
    if args.series_out is not None:
        windows = series(outcome.finished, started, args.window_s)
        args.series_out.write_bytes(orjson.dumps(windows))
    failures = {key: value for key, value in outcome.failures.items() if value}
    emit(
        {
            "rate": args.rate,
            "seconds": args.seconds,
            "sent": int(args.rate * args.seconds),
            "completed": len(outcome.latencies),
            "failures": failures,
            "latency": summary_ms(outcome.latencies + outcome.failed),
            "latency_completed_only": summary_ms(outcome.latencies),
            "latency_from_schedule": summary_ms(outcome.from_schedule),
            "post_ack": summary_ms(outcome.acks),
            "generator_lag": summary_ms(outcome.lags),
        }
    )


if __name__ == "__main__":
    main()
