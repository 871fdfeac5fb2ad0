"""Who used the CPU during a scenario: per-process CPU seconds from /proc, grouped into our
services, Kafka, PostgreSQL and everything else (the load tool, neighbours)."""

import os
import pwd
import resource
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.processes import ROOT

_HZ = os.sysconf("SC_CLK_TCK")


def _postgres_uid() -> int | None:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return None


def _ticks(services: Collection[int]) -> dict[int, tuple[int, int]]:
    """pid -> (uid, utime + stime ticks) for every process we can read, except our own
    children other than `services`: once reaped, those count via RUSAGE_CHILDREN."""
    found: dict[int, tuple[int, int]] = {}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            uid = entry.stat().st_uid
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        if int(fields[1]) == me and pid not in services:
            continue
        found[pid] = (uid, int(fields[11]) + int(fields[12]))
    return found


def _children_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kafka_pid() -> int | None:
    try:
        return int((ROOT / ".local" / "run" / "kafka.pid").read_text())
    except (OSError, ValueError):
        return None


@dataclass
class CpuWindow:
    """Start with `CpuWindow.open(...)`, end with `close()`: CPU seconds per group."""

    named: Mapping[str, int]
    before: dict[int, tuple[int, int]]
    children: float
    started: float

    seen: dict[int, tuple[int, int]] | None = None

    @classmethod
    def open(cls, named: Mapping[str, int]) -> "CpuWindow":
        return cls(dict(named), _ticks(named.values()), _children_s(), time.monotonic())

    def sample(self) -> None:
        """Remember every process's CPU so far: one that exits before `close` (a database
        backend of a finished client) still counts with what it had used when last seen."""
        self.seen = {**(self.seen or {}), **_ticks(self.named.values())}

    def close(self, work: int) -> dict[str, float]:
        """CPU ms per unit of `work` (requests, commands, rows) for each group, plus each
        group's share of the machine ("<group>_cpu_pct", 100 = one core)."""
        after = {**(self.seen or {}), **_ticks(self.named.values())}
        elapsed = time.monotonic() - self.started
        kafka, postgres = _kafka_pid(), _postgres_uid()
        by_pid = {pid: name for name, pid in self.named.items()}
        seconds: dict[str, float] = {}
        for pid, (uid, ticks) in after.items():
            used = (ticks - self.before.get(pid, (uid, 0))[1]) / _HZ
            if pid in by_pid:
                group = by_pid[pid]
            elif pid == kafka:
                group = "kafka"
            elif uid == postgres:
                group = "postgres"
            else:
                group = "other"
            seconds[group] = seconds.get(group, 0.0) + max(used, 0.0)
        # Children that ran and exited inside the window (wrk, the e2e client, replay).
        seconds["exited_children"] = _children_s() - self.children
        report: dict[str, float] = {"window_s": round(elapsed, 2)}
        for group, used in sorted(seconds.items()):
            report[f"{group}_cpu_pct"] = round(100 * used / elapsed, 1)
            report[f"{group}_ms_per_unit"] = round(1000 * used / max(work, 1), 3)
        return report
