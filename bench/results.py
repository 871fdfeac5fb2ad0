"""Write latest.json (keeping the previous one as <its date>.json) and check its shape."""

import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.targets import REQUIRED_KEYS, lookup

RESULTS = Path(__file__).resolve().parent / "results"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_stamp(latest: Path) -> str:
    try:
        date = str(orjson.loads(latest.read_bytes())["date"])
    except (OSError, ValueError, KeyError, TypeError):
        date = datetime.fromtimestamp(latest.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return date.replace(":", "-")


def missing_numbers(document: dict[str, Any]) -> list[str]:
    """The required keys that are absent or not finite numbers."""
    bad = []
    for key in REQUIRED_KEYS:
        try:
            value = lookup(document, key)
        except (KeyError, TypeError):
            bad.append(key)
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            bad.append(key)
    return bad


def write(out: Path, document: dict[str, Any]) -> Path:
    """bench/results/latest.json; a previous latest.json (and .png) move to <date>.json/.png."""
    out.mkdir(parents=True, exist_ok=True)
    latest = out / "latest.json"
    if latest.exists():
        stamp = _file_stamp(latest)
        latest.rename(out / f"{stamp}.json")
        if (out / "latest.png").exists():
            (out / "latest.png").rename(out / f"{stamp}.png")
    temporary = out / "latest.json.tmp"
    temporary.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(temporary, latest)
    return latest
