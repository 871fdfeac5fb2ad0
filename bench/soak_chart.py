"""The soak's PNG: RSS of each service and the p99 of each 10-s window over time, with the
moments PostgreSQL checkpointed or autovacuumed and Kafka rolled a segment."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

MARKED = {"checkpoint": "#6a1b9a", "autovacuum": "#ef6c00", "kafka_segment": "#00838f"}


def render(doc: dict[str, Any], path: Path) -> Path:
    samples = doc["samples"]
    figure, (rss, p99) = plt.subplots(2, 1, figsize=(12, 8), sharex=True)
    for name, series in samples["rss_mb"].items():
        growth = doc["rss"][name]["growth_last_8_min_mb"]
        rss.plot(samples["t_s"], series, label=f"{name} ({growth:+.2f} MB over the last 8 min)")
    rss.set_ylabel("RSS (MB)")
    rss.set_ylim(bottom=0)
    rss.legend(loc="lower right")
    rss.set_title(f"RSS every 10 s at {doc['rate']}/s")
    windows = doc["windows"]
    p99.plot([w["t_s"] for w in windows], [w["p99_ms"] for w in windows], color="black")
    reference = doc["reference_p99_ms"]
    p99.axhline(
        reference, color="#2e7d32", linestyle="--", label=f"60-s reference {reference:.0f} ms"
    )
    p99.axhline(1.5 * reference, color="#c62828", linestyle=":", label="1.5 × reference")
    for name, color in MARKED.items():
        counts = samples["events"].get(name, [])
        moments = [samples["t_s"][i] for i in range(1, len(counts)) if counts[i] > counts[i - 1]]
        for n, moment in enumerate(moments):
            p99.axvline(moment, color=color, alpha=0.5, label=name if n == 0 else None)
    if "load1" in samples:
        machine = p99.twinx()
        machine.plot(samples["t_s"], samples["load1"], color="#9e9e9e", linewidth=1)
        machine.set_ylabel("machine load average (grey)")
        machine.set_ylim(bottom=0)
    p99.set_ylabel("POST → GET ?wait p99 per 10 s (ms)")
    p99.set_xlabel("seconds into the soak")
    p99.set_yscale("log")
    p99.legend(loc="upper right", fontsize=8)
    load = doc["load_average"]
    p99.set_title(
        f"soak p99 {doc['soak_p99_ms']:.0f} ms ({doc['p99_ratio']:.2f}× reference); "
        f"load average {' '.join(load['before'])} → {' '.join(load['after'])}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
