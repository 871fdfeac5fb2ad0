"""An ingest run over raw keep-alive connections that records which ids were acknowledged
with 200."""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from harness.http import RawConnection


@dataclass
class IngestResult:
    acked: list[str] = field(default_factory=list)
    acked_sent_at: list[float] = field(default_factory=list)  # monotonic, each acked request's
    statuses: Counter[int | str] = field(default_factory=Counter)
    slowest_s: float = 0.0
    retry_after: set[str] = field(default_factory=set)

    def summary(self) -> str:
        return (
            f"acked={len(self.acked)} statuses={dict(self.statuses)} slowest={self.slowest_s:.2f}s"
        )


async def ingest(
    url: str,
    count: int,
    connections: int = 32,
    timeout: float = 30.0,
    stop: asyncio.Event | None = None,
    method: str = "POST",
    result: IngestResult | None = None,
) -> IngestResult:
    """POST `count` commands over `connections` keep-alive connections; a failed request is
    recorded (status or exception name), never retried, so only 200s count as acknowledged.
    Pass `result` to watch it fill while the load runs."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/app"
    result = IngestResult() if result is None else result
    remaining = iter(range(count))

    async def worker() -> None:
        connection = RawConnection(host, port)
        for _ in remaining:
            if stop is not None and stop.is_set():
                break
            started = time.monotonic()
            try:
                status, body, headers = await connection.request(method, path, timeout)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
                connection.close()
                result.statuses[type(error).__name__] += 1
                await asyncio.sleep(0.05)
                continue
            finally:
                result.slowest_s = max(result.slowest_s, time.monotonic() - started)
            result.statuses[status] += 1
            if status == 200:
                result.acked.append(str(orjson.loads(body)["id"]))
                result.acked_sent_at.append(started)
            elif "retry-after" in headers:
                result.retry_after.add(headers["retry-after"])
        connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return result
