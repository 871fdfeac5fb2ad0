"""Fire-and-forget work that must not be garbage-collected mid-flight: asyncio keeps only a
weak reference to a task, so whoever starts one holds it until it is done."""

import asyncio
from collections.abc import Coroutine
from typing import Any


class DetachedTasks:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
