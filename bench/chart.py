"""bench/results/latest.png: ours against the same-run ceilings and the targets, at a glance."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.targets import Verdict, evaluate

HELD, MISSED, CEILING = "#2e7d32", "#c62828", "#9e9e9e"


def _color(held: bool) -> str:
    return HELD if held else MISSED


def _throughput(ax: Axes, doc: dict[str, Any], verdicts: dict[str, Verdict]) -> None:
    r, c = doc["results"], doc["ceilings"]
    rows = [
        ("P1 ingest\n(req/s)", r["ingest_rps"], c["http_noop_post_rps"], "no-op POST", "ingest"),
        (
            "P2 sink\n(rows/s)",
            r["sink_rows_per_s"],
            c["pg_bulk_insert_rows_per_s"],
            "PG bulk",
            "sink",
        ),
        ("P5 query\n(req/s)", r["query_rps"], c["http_noop_get_rps"], "no-op GET", "query"),
    ]
    for y, (_label, ours, ceiling, what, key) in enumerate(rows):
        ax.barh(y + 0.2, ceiling, height=0.38, color=CEILING)
        ax.barh(y - 0.2, ours, height=0.38, color=_color(verdicts[key].held))
        ax.text(ceiling, y + 0.2, f" {what} {ceiling:,.0f}", va="center", fontsize=8)
        ax.text(
            ours, y - 0.2, f" ours {ours:,.0f} ({ours / ceiling:.2f}×)", va="center", fontsize=8
        )
    ax.set_yticks(range(len(rows)), [row[0] for row in rows])
    ax.set_xscale("log")
    ax.set_xlim(right=ax.get_xlim()[1] * 8)
    ax.invert_yaxis()
    kafka = c["kafka_produce_msgs_per_s"]
    ax.set_title(f"Throughput vs same-run ceiling (grey)\nKafka produce ceiling {kafka:,.0f} msg/s")


def _ratios(ax: Axes, doc: dict[str, Any], verdicts: dict[str, Verdict]) -> None:
    r, c = doc["results"], doc["ceilings"]
    sink_target = verdicts["sink"].limit / c["pg_bulk_insert_rows_per_s"]
    rows = [
        ("ingest", r["ingest_ratio"], verdicts["ingest"].limit),
        ("sink", r["sink_ratio"], sink_target),
        ("query", r["query_ratio"], verdicts["query"].limit),
    ]
    for y, (key, ratio, target) in enumerate(rows):
        ax.barh(y, ratio, color=_color(verdicts[key].held), height=0.6)
        ax.plot([target, target], [y - 0.4, y + 0.4], color="black", linewidth=2)
        ax.text(ratio, y, f" {ratio:.2f}", va="center", fontsize=9)
    ax.set_yticks(range(len(rows)), [row[0] for row in rows])
    ax.axvline(1.0, color=CEILING, linestyle="--")
    ax.set_xlim(0, max(1.15, max(row[1] for row in rows) * 1.2))
    ax.invert_yaxis()
    ax.set_title("Fraction of ceiling (black tick = target)")


def _limits(
    ax: Axes,
    title: str,
    bars: list[tuple[str, float, float, bool]],
    unit: str,
    log: bool = False,
) -> None:
    for x, (_label, value, limit, ok) in enumerate(bars):
        ax.bar(x, value, color=_color(ok), width=0.6)
        ax.plot([x - 0.4, x + 0.4], [limit, limit], color="black", linewidth=2)
        ax.text(x, value, f"{value:,.1f} {unit}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(bars)), [bar[0] for bar in bars])
    top = max(max(bar[1] for bar in bars), max(bar[2] for bar in bars))
    if log:
        ax.set_yscale("log")
        ax.set_ylim(1, top * 3)
    else:
        ax.set_ylim(0, top * 1.25)
    ax.set_title(title)


def _against(label: str, value: float, verdict: Verdict) -> tuple[str, float, float, bool]:
    """A bar of `value` against the limit of `verdict`'s target (one held to at most it)."""
    return label, value, verdict.limit, value <= verdict.limit


def render(doc: dict[str, Any], path: Path) -> Path:
    verdicts = {verdict.name: verdict for verdict in evaluate(doc)}
    r = doc["results"]
    figure, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    _throughput(axes[0][0], doc, verdicts)
    _ratios(axes[0][1], doc, verdicts)
    p50, p99 = verdicts["e2e_p50"], verdicts["e2e_p99"]
    rate = doc.get("details", {}).get("e2e", {}).get("rate", 500)
    floor = r.get("e2e_floor_rate", 50)
    _limits(
        axes[0][2],
        "P4 end to end, POST → GET ?wait (black = target)",
        [
            _against(f"p50\n{rate:g}/s", r["e2e_p50_ms"], p50),
            _against(f"p99\n{rate:g}/s", r["e2e_p99_ms"], p99),
            _against(f"p50\n{floor:g}/s (info)", r["e2e_floor_p50_ms"], p50),
            _against(f"p99\n{floor:g}/s (info)", r["e2e_floor_p99_ms"], p99),
        ],
        "ms",
        log=True,
    )
    replay = doc.get("details", {}).get("replay", {})
    label = "1M records" + (" (extrapolated)" if replay.get("extrapolated") else "")
    _limits(
        axes[1][0],
        "P3 replay into an empty database",
        [_against(label, r["replay_1m_s"], verdicts["replay_1m"])],
        "s",
    )
    _limits(
        axes[1][1],
        "P6 peak RSS (VmHWM)",
        [_against(name, mb, verdicts[f"rss_{name}"]) for name, mb in r["rss_mb"].items()],
        "MB",
    )
    info = axes[1][2]
    info.axis("off")
    machine = doc.get("machine", {})
    dirty = " (dirty)" if machine.get("git_dirty") else ""
    info.text(
        0,
        1,
        "\n".join(
            [
                f"date      {doc.get('date')}",
                f"size      {doc.get('size')}",
                f"commit    {machine.get('git_commit')}{dirty}",
                f"cpu       {machine.get('cpus')} × {str(machine.get('cpu'))[:38]}",
                f"memory    {machine.get('memory_gib')} GiB",
                f"kafka     {machine.get('kafka')}   postgres {machine.get('postgres')}",
                "",
                "green = target held, red = missed",
            ]
        ),
        va="top",
        family="monospace",
        fontsize=9,
    )
    figure.suptitle("timestamp-cqrs benchmark: ours vs ceilings measured in the same run")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
