"""HTTP for load and probes: a minimal HTTP/1.1 keep-alive client (httpx is the bottleneck
above ~200 req/s; this parses only status, headers and a content-length body), a pool of its
connections, and a blocking GET for code without an event loop."""

import asyncio
import time
import urllib.error
import urllib.request

IDLE_S = 4.0  # uvicorn closes keep-alive connections idle for 5 s: never reuse one that old

Reply = tuple[int, bytes, dict[str, str]]  # status, body, headers (names in lower case)


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class RawConnection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0

    async def request(self, method: str, path: str, timeout: float) -> Reply:
        if time.monotonic() - self._used >= IDLE_S:
            self.close()  # the server may be closing it this very moment
        async with asyncio.timeout(timeout):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            assert self._reader is not None
            head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: 0\r\n\r\n"
            self._writer.write(head.encode())
            raw = await self._reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await self._reader.readexactly(int(headers.get("content-length", "0")))
            self._used = time.monotonic()
            if headers.get("connection", "").lower() == "close":
                self.close()
            return status, body, headers

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Pool:
    """Keep-alive connections to one host; never makes a caller wait for a free one (a new
    connection is opened instead), so an open-loop generator stays open-loop."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[RawConnection] = []
        self.opened = 0

    def _take(self) -> RawConnection:
        if self._idle:
            return self._idle.pop()  # reopens itself if it sat idle too long
        self.opened += 1
        return RawConnection(self.host, self.port)

    async def request(self, method: str, path: str, timeout: float) -> Reply:
        connection = self._take()
        try:
            answer = await connection.request(method, path, timeout)
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)
        return answer

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
