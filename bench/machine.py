"""What the numbers were measured on."""

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

from harness.processes import ROOT


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _kafka_version() -> str | None:
    log = ROOT / ".local" / "logs" / "kafka.log"
    if not log.exists():
        return None
    found = re.findall(r"Kafka version: (\S+)", log.read_text(errors="replace"))
    return found[-1] if found else None


def machine_info(postgres_version: str) -> dict[str, Any]:
    return {
        "hostname": platform.node(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "kafka": _kafka_version(),
        "postgres": postgres_version,
        "load_average_at_start": os.getloadavg(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
