"""The benchmark harness end to end at its tiny size: every required key is a number,
the chart is written, and the README table renders."""

import math
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from bench.targets import REQUIRED_KEYS
from harness.processes import ROOT
from shared.tracing import wanted

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

REQUIRED = REQUIRED_KEYS  # one list: the one bench/targets.py holds the run to


def test_tiny_run_writes_every_required_number(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--size", "tiny", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = orjson.loads((tmp_path / "latest.json").read_bytes())
    for key in REQUIRED:
        value = document
        for part in key.split("."):
            assert isinstance(value, dict) and part in value, f"{key} missing"
            value = value[part]
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{key}: {value!r}"
        assert math.isfinite(value) and value > 0, f"{key}: {value!r}"
    assert document["date"] and document["machine"]["cpus"]
    assert document["tracing"]["on"] is (wanted() is not None)  # as the environment says
    assert (tmp_path / "latest.png").stat().st_size > 10_000
    assert "| P1 ingest" in done.stdout  # the README table went to stdout


def test_previous_results_are_kept_under_their_date(tmp_path: Path) -> None:
    from bench.results import write

    write(tmp_path, {"date": "2026-01-02T03:04:05Z", "n": 1})
    (tmp_path / "latest.png").write_bytes(b"png")
    write(tmp_path, {"date": "2026-02-03T04:05:06Z", "n": 2})
    assert orjson.loads((tmp_path / "latest.json").read_bytes())["n"] == 2
    assert orjson.loads((tmp_path / "2026-01-02T03-04-05Z.json").read_bytes())["n"] == 1
    assert (tmp_path / "2026-01-02T03-04-05Z.png").read_bytes() == b"png"
