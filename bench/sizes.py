"""How big each scenario is for `--size tiny|quick|full`."""

from dataclasses import dataclass

MILLION = 1_000_000


@dataclass(frozen=True)
class Size:
    name: str
    http_s: float  # measured seconds per wrk run (P1, P5 and the no-op ceilings)
    warmup_s: float  # unmeasured wrk run before each measured one
    connections: int  # wrk connections for P1, P5 and the no-op ceilings
    sink_records: int  # P2, and the rows of the PostgreSQL ceiling
    replay_records: int  # P3
    e2e_rate: int  # P4 commands per second (open loop)
    e2e_s: float  # P4 seconds
    e2e_warmup_s: float  # unmeasured P4 run at the same rate just before the measured one
    floor_rate: int  # P4 again at a low rate: the latency floor when nothing queues
    floor_s: float


SIZES = {
    "tiny": Size("tiny", 1.5, 0.5, 64, 5_000, 10_000, 100, 3, 1, 50, 2),
    "quick": Size("quick", 8, 2, 64, 50_000, 100_000, 500, 15, 5, 50, 6),
    "full": Size("full", 20, 3, 64, 500_000, MILLION, 500, 60, 10, 50, 20),
}
