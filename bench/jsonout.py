"""The one-line JSON protocol between the harness and its load/ceiling subprocesses."""

import sys
from typing import Any

import orjson

MARKER = "BENCHJSON "


def emit(document: dict[str, Any]) -> None:
    sys.stdout.write(MARKER + orjson.dumps(document).decode() + "\n")
    sys.stdout.flush()


def parse(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            document: dict[str, Any] = orjson.loads(line[len(MARKER) :])
            return document
    raise ValueError(f"no {MARKER.strip()} line in output: {stdout[-500:]!r}")
