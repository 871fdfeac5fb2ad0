"""Read one record by id, optionally waiting for it: whichever path serves the request (the
fast lane or the FastAPI route) calls `read_record` and sends the answer it gives."""

import asyncio
import math
import uuid
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Protocol
from urllib.parse import parse_qsl

from opentelemetry.trace import Tracer
from starlette.types import Scope

from query_service.lookups import RecordDocument
from query_service.runtime import QueryRuntime
from query_service.waiting import WaitEnded
from shared import tracing
from shared.answers import Answer
from shared.db import DATABASE_DOWN
from shared.problems import problem_answer
from shared.schema import TABLE


class Lookups(Protocol):
    """What a read needs of the lookups by id (lookups.RecordLookups)."""

    def lookup(self, record_id: uuid.UUID) -> "asyncio.Future[RecordDocument | None]": ...

    async def get(self, record_id: uuid.UUID) -> RecordDocument | None: ...


class Waiters(Protocol):
    """What a wait needs of the LISTEN side (waiting.RecordWaiters)."""

    def waiter(
        self, record_id: uuid.UUID
    ) -> "AbstractAsyncContextManager[asyncio.Future[RecordDocument]]": ...


async def read_record(scope: Scope, record_id: str) -> Answer:
    try:
        key = uuid.UUID(record_id)
    except ValueError:
        return problem_answer(400, "Invalid id", f"{record_id[:64]!r} is not a UUID")
    runtime: QueryRuntime = scope["state"]["runtime"]
    try:
        wait = wait_seconds(scope["query_string"], runtime.settings.max_wait_s)
    except ValueError as error:
        return problem_answer(400, "Invalid wait", str(error))
    lookups, waiters = runtime.lookups, runtime.waiters
    try:
        if wait and tracing.TRACER is not None:
            record = await traced_wait(tracing.TRACER, key, wait, lookups, waiters)
        elif wait:
            record = await wait_for(key, wait, lookups, waiters)
        else:
            record = await lookups.get(key)
    except DATABASE_DOWN as error:
        return database_down(error)
    if record is None:
        return problem_answer(404, "Not Found", f"no record with id {key}")
    return Answer(200, record.encode())


def database_down(error: Exception) -> Answer:
    return problem_answer(
        503, "Database unavailable", type(error).__name__, headers={"Retry-After": "2"}
    )


def wait_seconds(query_string: bytes, most: float) -> float | None:
    """`?wait=` as Starlette reads a query parameter (the last of several wins)."""
    if not query_string:
        return None
    text = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)).get("wait")
    if text is None:
        return None
    try:
        wait = float(text)
    except ValueError:
        wait = math.nan
    if not 0 <= wait <= most:
        raise ValueError(f"wait must be a number of seconds between 0 and {most:g}")
    return wait


async def wait_for(
    key: uuid.UUID, wait: float, lookups: Lookups, waiters: Waiters
) -> RecordDocument | None:
    """Registered before the first look, so a commit in between still wakes us; the wake-up
    brings the record along, and whichever of the look and the wake-up has it first answers.
    A failed look is raised (a timed-out query too: it is not the wait running out). A wait
    ended by the service stopping ends like one whose time ran out."""
    async with waiters.waiter(key) as arrived:
        looked = lookups.lookup(key)
        looked.add_done_callback(partial(_found, arrived))
        deadline = asyncio.timeout(wait)
        try:
            async with deadline:
                return await arrived
        except TimeoutError:
            if not deadline.expired():
                raise
        except WaitEnded:
            pass
    if not looked.done():
        return await looked  # the first look is still out: no second one behind it
    return await lookups.get(key)  # one last look: a notification lost with its connection


async def traced_wait(
    tracer: Tracer, key: uuid.UUID, wait: float, lookups: Lookups, waiters: Waiters
) -> RecordDocument | None:
    """`wait_for` in a span of the request's trace: the NOTIFY that wakes it (or the look that
    finds the record first) ends it, and says whether the record came."""
    attributes = {"db.system.name": "postgresql", "db.collection.name": TABLE}
    with tracing.span(tracer, f"wait {TABLE}", attributes=attributes) as waiting:
        record = await wait_for(key, wait, lookups, waiters)
        waiting.set_attribute("timestamp.record.found", record is not None)
        return record


def _found(
    arrived: "asyncio.Future[RecordDocument]", looked: "asyncio.Future[RecordDocument | None]"
) -> None:
    if looked.cancelled():
        return
    error = looked.exception()  # retrieved even when unused: no "never retrieved" warning
    if arrived.done():
        return
    if error is not None:
        arrived.set_exception(error)
    elif (record := looked.result()) is not None:
        arrived.set_result(record)
