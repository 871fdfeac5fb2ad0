"""A minimal HTTP/1.1 keep-alive client for the load processes (no parsing beyond what a
benchmark needs: status, content-length body)."""

import asyncio
import time

IDLE_S = 4.0  # uvicorn closes keep-alive connections idle for 5 s: never reuse one that old


class HttpError(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: 0\r\n\r\n".encode()
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self._reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Pool:
    """Keep-alive connections to one host; never makes a caller wait for a free one (a new
    connection is opened instead), so an open-loop generator stays open-loop."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[float, Connection]] = []
        self.opened = 0

    def _take(self) -> Connection:
        now = time.monotonic()
        while self._idle:
            used, connection = self._idle.pop()
            if now - used < IDLE_S:
                return connection
            connection.close()
        self.opened += 1
        return Connection(self.host, self.port)

    async def request(self, method: str, path: str, timeout: float) -> tuple[int, bytes]:
        connection = self._take()
        try:
            async with asyncio.timeout(timeout):
                answer = await connection.request(method, path)
        except BaseException:
            connection.close()
            raise
        self._idle.append((time.monotonic(), connection))
        return answer

    def close(self) -> None:
        for _, connection in self._idle:
            connection.close()
        self._idle.clear()
