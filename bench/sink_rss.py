"""P2 alone, repeated: the sink's rows/s and the consumer's peak RSS, with what made up the
RSS at its peak (/proc/<pid>/smaps_rollup), without the rest of `make bench`.

    python -m bench.sink_rss [--records N] [--runs N] [--topic T] [--keep-topic]

Needs the platform (Kafka, PostgreSQL) up. The topic is pre-loaded as `bench.run` does
(bench.produce, seed 7) unless --topic names one already loaded; each run reads it with a
group and an empty database of its own. Prints one JSON line per run.
"""

import argparse
import asyncio
import os
import re
import threading
import time
from pathlib import Path
from typing import Self

import orjson

from bench import ceilings, infra, scenarios
from bench.run import SEED
from bench.subprocs import say
from harness.http import http_get
from harness.processes import ServiceProcess

_SUM_COUNT = re.compile(r"^timestamp_consumer_batch_records_(sum|count) ([0-9.e+]+)$", re.MULTILINE)
ROLLUP_FIELDS = ("Rss", "Anonymous", "Pss_File", "Private_Dirty", "Shared_Clean")


def _rollup(pid: int) -> dict[str, float]:
    """The MiB of smaps_rollup's main fields, and VmRSS."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        if name.rstrip(":") in ROLLUP_FIELDS:
            fields[name.rstrip(":")] = int(value) / 1024
    return fields


class _PeakSampler:
    """Samples the consumer's smaps_rollup every `every_s`; keeps the sample of most RSS."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.every_s = every_s
        self.peak: dict[str, float] = {}
        self.pid: int | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self.every_s):
            if self.pid is None:
                continue
            try:
                sample = _rollup(self.pid)
            except OSError:
                continue
            if sample.get("Rss", 0) > self.peak.get("Rss", 0):
                self.peak = sample

    def close(self) -> dict[str, float]:
        self._done.set()
        self._thread.join()
        return self.peak


def _batch_sizes(consumer: ServiceProcess) -> dict[str, float]:
    """How many batches the consumer applied, and their mean size, from its /metrics."""
    _, body = http_get(consumer.url + "/metrics")
    found = dict(_SUM_COUNT.findall(body.decode()))
    count = float(found.get("count", 0))
    return {"count": count, "mean": round(float(found.get("sum", 0)) / max(count, 1))}


def _run_once(topic: str, records: int, run_id: str) -> dict[str, object]:
    database = f"bench_{run_id}_sink"
    asyncio.run(infra.create_databases([database]))
    sampler = _PeakSampler()
    batches: dict[str, float] = {}

    class Sampled(ServiceProcess):
        """The sink's consumer, sampled while it runs, its batch sizes read before it stops."""

        def start(self) -> Self:
            started = super().start()
            sampler.pid = self.pid
            return started

        def stop(self) -> None:
            batches.update(_batch_sizes(self))
            super().stop()

    scenarios.ServiceProcess = Sampled  # type: ignore[attr-defined]
    try:
        result = scenarios.sink(topic, infra.database_url(database), records, run_id, 900)
    finally:
        scenarios.ServiceProcess = ServiceProcess  # type: ignore[attr-defined]
        peak = sampler.close()
        asyncio.run(infra.drop_databases([database]))
    return {
        "rows_per_s": round(result.rows_per_s),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "at_peak_mb": {name: round(mb, 1) for name, mb in peak.items()},
        "batches": batches,
        "cpu_ms_per_row": result.cpu,
        "load_1m": os.getloadavg()[0],
        "label": os.environ.get("SINK_RSS_LABEL", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--topic", help="a topic already pre-loaded with --records commands")
    parser.add_argument("--keep-topic", action="store_true")
    args = parser.parse_args()
    run_id = f"{int(time.time()) % 10**8:08d}"
    topic = args.topic or f"bench.{run_id}.data"
    if args.topic is None:
        asyncio.run(infra.create_topics([topic]))
        say(f"pre-loading {topic} with {args.records:,} commands")
        ceilings.kafka_produce(topic, args.records, SEED)
    try:
        for n in range(args.runs):
            print(orjson.dumps(_run_once(topic, args.records, f"{run_id}{n}")).decode(), flush=True)
    finally:
        if args.topic is None and not args.keep_topic:
            asyncio.run(infra.delete_topics([topic]))


if __name__ == "__main__":
    main()
