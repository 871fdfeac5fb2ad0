"""The database for a test that fakes whatever would use it: touching it fails the test."""

from contextlib import AbstractAsyncContextManager

import asyncpg

from shared.db import Connection


class UnusedPool:
    """A pool as the consumer's batch write and the query service's reads take it."""

    def acquire(self) -> AbstractAsyncContextManager[Connection]:
        raise AssertionError("the batch write is faked: no connection may be taken")

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        raise AssertionError("the reads are faked: no query may run")


async def no_connection() -> asyncpg.Connection:
    raise AssertionError("no LISTEN connection may be opened")
