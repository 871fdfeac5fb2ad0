"""Capped exponential backoff with full jitter, for failures that will pass."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

T = TypeVar("T")
_log = structlog.get_logger("retry")


async def retry_forever(
    attempt: Callable[[], Awaitable[T]],
    what: str,
    initial_s: float,
    max_s: float,
    on_retry: Callable[[], None] = lambda: None,
) -> T:
    """Run `attempt` until it succeeds. Every exception counts as transient: nothing is skipped."""
    delay = initial_s
    failures = 0
    while True:
        try:
            return await attempt()
        except Exception as error:  # noqa: BLE001 - a batch is never dropped for an error
            failures += 1
            on_retry()
            pause = random.uniform(delay / 2, delay)
            _log.warning(
                f"{what} failed; retrying",
                attempt=failures,
                retry_in_s=round(pause, 3),
                error_type=type(error).__name__,
                error=str(error)[:300],
            )
            await asyncio.sleep(pause)
            delay = min(delay * 2, max_s)
