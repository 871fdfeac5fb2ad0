"""The PostgreSQL ceiling: raw asyncpg bulk inserts of the P2 rows into an empty table of the
product's schema (shared.schema.DDL), one transaction per chunk, no Kafka, no decoding.

    python -m bench.pg_ceiling --db-url URL --count N [--seed S]

Three ways, the table truncated before each: `INSERT … SELECT unnest(…)` in chunks of 2,000
(the consumer's batch) and 10,000 (replay's batch), and COPY in chunks of 50,000. Prints one
BENCHJSON line with each rate; the ceiling is the best of them.
"""

import argparse
import time
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import uvloop

from bench.commands import commands
from bench.jsonout import emit
from shared.db import connect
from shared.messages import TimestampCommand
from shared.schema import DDL, TABLE
from shared.settings import DatabaseSettings

UNNEST = f"""
INSERT INTO {TABLE} (id, event_timestamp, accepted_at)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[])
"""
Rows = Sequence[TimestampCommand]


def _chunks(rows: Rows, size: int) -> list[Rows]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


async def _unnest(connection: asyncpg.Connection, chunk: Rows) -> None:
    await connection.execute(
        UNNEST,
        [row.command_id for row in chunk],
        [row.event_timestamp for row in chunk],
        [row.accepted_at for row in chunk],
    )


async def _copy(connection: asyncpg.Connection, chunk: Rows) -> None:
    await connection.copy_records_to_table(
        TABLE, records=chunk, columns=["id", "event_timestamp", "accepted_at"]
    )


Writer = Callable[[asyncpg.Connection, Rows], Awaitable[None]]


async def _timed(connection: asyncpg.Connection, rows: Rows, size: int, write: Writer) -> float:
    await connection.execute(f"TRUNCATE {TABLE}")
    await connection.execute("CHECKPOINT")  # every method starts from the same clean state
    started = time.perf_counter()
    for chunk in _chunks(rows, size):
        async with connection.transaction():
            await write(connection, chunk)
    elapsed = time.perf_counter() - started
    assert await connection.fetchval(f"SELECT count(*) FROM {TABLE}") == len(rows)
    return len(rows) / elapsed


async def measure(url: str, count: int, seed: int) -> dict[str, float]:
    rows = list(commands(count, seed))
    settings = DatabaseSettings().model_copy(update={"db_url": url})
    connection = await connect(settings, "timestamp-bench")
    try:
        await connection.execute(DDL)
        return {
            "unnest_2000_rows_per_s": await _timed(connection, rows, 2_000, _unnest),
            "unnest_10000_rows_per_s": await _timed(connection, rows, 10_000, _unnest),
            "copy_50000_rows_per_s": await _timed(connection, rows, 50_000, _copy),
        }
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rates = uvloop.run(measure(args.db_url, args.count, args.seed))
    emit({"rows": args.count, **rates, "best_rows_per_s": max(rates.values())})


if __name__ == "__main__":
    main()
