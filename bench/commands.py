"""Deterministic TimestampCommands: the producer ceiling, the preloads and the PostgreSQL
ceiling all use the very same rows (same seed, same generator)."""

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from shared.messages import TimestampCommand

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SPAN_S = 30 * 365 * 24 * 3600


def commands(count: int, seed: int) -> Iterator[TimestampCommand]:
    rng = random.Random(seed)
    accepted = datetime.now(UTC)
    for _ in range(count):
        event = _EPOCH + timedelta(
            seconds=rng.randrange(_SPAN_S), microseconds=rng.randrange(10**6)
        )
        yield TimestampCommand(uuid.UUID(int=rng.getrandbits(128), version=4), event, accepted)
