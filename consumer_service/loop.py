"""poll → decode → dead-letter the poison → one DB transaction → commit exactly those offsets.
The next batch is polled and decoded while the current one is in its transaction."""

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import NamedTuple, TypeVar

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord

from consumer_service.dead_letters import DeadLetters
from consumer_service.metrics import ConsumerMetrics
from consumer_service.progress import Progress
from consumer_service.retry import retry_forever
from consumer_service.settings import ConsumerSettings
from consumer_service.sink import apply_batch
from shared.correlation import KAFKA_HEADER
from shared.messages import PoisonMessage, Row, decode_row

Record = ConsumerRecord[bytes, bytes]
Batch = Mapping[TopicPartition, Sequence[Record]]
T = TypeVar("T")


class Prepared(NamedTuple):
    rows: list[Row]
    offsets: dict[TopicPartition, int]  # the next offset to read, per partition
    size: int  # records polled, poison included


CRASH_EXIT_CODE = 70
CHUNK = 250  # records unpacked or decoded between two yields to the event loop
_log = structlog.get_logger("consumer")


async def poll_batch(
    consumer: AIOKafkaConsumer, *partitions: TopicPartition, timeout_ms: int, max_records: int
) -> dict[TopicPartition, list[Record]]:
    """Up to `max_records` of what has been fetched, waiting `timeout_ms` only for the first.
    Taken in chunks, yielding between them, so the event loop keeps feeding the transaction
    that is in flight meanwhile instead of leaving PostgreSQL idle."""
    batch: dict[TopicPartition, list[Record]] = {}
    taken, wait = 0, timeout_ms
    while taken < max_records:
        limit = min(CHUNK, max_records - taken)
        chunk = await consumer.getmany(*partitions, timeout_ms=wait, max_records=limit)
        if not chunk:
            break
        for tp, records in chunk.items():
            batch.setdefault(tp, []).extend(records)
            taken += len(records)
        wait = 0
        await asyncio.sleep(0)
    return batch


def correlation_id(record: Record) -> str | None:
    for name, value in record.headers:
        if name == KAFKA_HEADER:
            return value.decode("utf-8", "replace")
    return None


class ConsumeLoop:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        pool: asyncpg.Pool,
        dead_letters: DeadLetters,
        settings: ConsumerSettings,
        metrics: ConsumerMetrics,
    ) -> None:
        self._consumer = consumer
        self._pool = pool
        self._dead_letters = dead_letters
        self._settings = settings
        self.progress = Progress()
        self._batches = 0
        self.metrics = metrics
        self._stopping = asyncio.Event()
        self._applied_offsets: dict[TopicPartition, int] = {}  # applied, not yet committed
        self._last_commit_attempt = 0.0
        self._commit_interval_s = settings.offset_commit_interval_ms / 1000

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        await self.run_pipelined(self._polled())

    async def _polled(self) -> AsyncIterator[Batch]:
        while not self._stopping.is_set():
            batch = await poll_batch(
                self._consumer,
                timeout_ms=self._settings.poll_timeout_ms,
                max_records=self._settings.batch_max_records,
            )
            if batch:
                yield batch

    async def run_pipelined(
        self, batches: AsyncIterator[Batch], on_applied: Callable[[Prepared], None] | None = None
    ) -> None:
        """Fetch and decode batch N+1 while batch N is in its transaction: the consumer's CPU
        work overlaps PostgreSQL's. Batches are still applied and committed one at a time, in
        order, so an offset is only ever committed after its own batch's transaction."""
        prepared: asyncio.Queue[Prepared | None] = asyncio.Queue(maxsize=1)
        idle_s = max(self._commit_interval_s, 0.01)

        async def fetch() -> None:
            async for batch in batches:
                await prepared.put(await self.prepare(batch))
            await prepared.put(None)

        async def apply() -> None:
            while True:
                try:
                    async with asyncio.timeout(idle_s):  # not wait_for: it can swallow a cancel
                        ready = await prepared.get()
                except TimeoutError:
                    await self.commit_applied()  # nothing new: commit what is due
                    continue
                if ready is None:
                    break
                await self.apply(ready)
                if on_applied is not None:
                    on_applied(ready)
            await self.commit_applied()

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(fetch())
            tasks.create_task(apply())

    async def prepare(self, batch: Batch) -> Prepared:
        """Decode a polled batch; poison records go to the dead-letter topic on the way."""
        size = sum(map(len, batch.values()))
        self.metrics.batch_size.observe(size)
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
        return Prepared(await self._decode(batch), offsets, size)

    async def apply(self, batch: Prepared) -> None:
        """One transaction for the batch's rows, then commit exactly its offsets."""
        rows = batch.rows
        started = time.perf_counter()
        inserted = await self._retry("database write", lambda: apply_batch(self._pool, rows))
        elapsed = time.perf_counter() - started
        self.metrics.apply_latency.observe(elapsed)
        self.metrics.records.labels("applied").inc(len(rows))
        self.progress.applied += len(rows)
        self._batches += 1
        if self._batches == self._settings.fault_crash_after_db_commit:
            os._exit(CRASH_EXIT_CODE)  # fault injection: the window between the two commits
        self._applied_offsets.update(batch.offsets)
        if time.monotonic() - self._last_commit_attempt >= self._commit_interval_s:
            await self.commit_applied()
        _log.debug(  # per batch: at info it would be hundreds of lines a second; see /metrics
            "batch applied",
            records=batch.size,
            commands=len(rows),
            inserted=inserted,
            ms=round(elapsed * 1000, 2),
        )

    async def _retry(self, operation: str, attempt: Callable[[], Awaitable[T]]) -> T:
        def count() -> None:
            self.progress.retries += 1
            self.metrics.retries.labels(operation).inc()

        settings = self._settings
        return await retry_forever(
            attempt, operation, settings.retry_initial_s, settings.retry_max_s, on_retry=count
        )

    async def _decode(self, batch: Batch) -> list[Row]:
        rows: list[Row] = []
        debug = _log.is_enabled_for(logging.DEBUG)
        for records in batch.values():
            for index, record in enumerate(records, 1):
                if index % CHUNK == 0:
                    await asyncio.sleep(0)
                try:
                    row = decode_row(record.value)
                except PoisonMessage as error:
                    await self._dead_letter(record, error)
                    continue
                rows.append(row)
                if debug:
                    _log.debug(
                        "command received",
                        correlationId=correlation_id(record),
                        command_id=row[0].decode(),
                        partition=record.partition,
                        offset=record.offset,
                    )
        return rows

    async def _dead_letter(self, record: Record, error: PoisonMessage) -> None:
        await self._retry("dead-letter publish", lambda: self._dead_letters.send(record, error))
        self.progress.dead_lettered += 1
        self.metrics.records.labels("dead_lettered").inc()
        self.metrics.dead_letters.labels(type(error).__name__).inc()
        _log.warning(
            "record dead-lettered",
            correlationId=correlation_id(record),
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=type(error).__name__,
            detail=str(error)[:300],
            dlq=self._dead_letters.topic,
        )

    async def commit_applied(self) -> None:
        """Commit the offsets of every batch applied so far. Committed at most every
        OFFSET_COMMIT_INTERVAL_MS under load: later is always safe (a redelivered batch is
        idempotent), and each commit is a broker round trip and a write."""
        self._last_commit_attempt = time.monotonic()
        if self._applied_offsets:
            offsets, self._applied_offsets = self._applied_offsets, {}
            await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """A partition no longer ours is left to its new owner (which redelivers from the
        group's committed offset); a failed commit is kept to be tried with the next one."""
        owned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # The group rebalanced under this commit. Not kept: retried with a generation that
            # is gone, it fails again and each failure starts another rebalance (a livelock
            # seen in test_scale_out). Whoever owns the partitions now redelivers from the
            # last committed offset, and the idempotent write absorbs it.
            _log.warning("offset commit refused: the group rebalanced; dropped, redelivered")
            return
        except KafkaError as error:
            _log.warning(
                "offset commit failed; retried with the next one (writes are idempotent)",
                error_type=type(error).__name__,
                error=str(error)[:300],
            )
            for tp, offset in offsets.items():
                later = self._applied_offsets.get(tp, offset)
                self._applied_offsets[tp] = max(offset, later)
            return
        self.progress.committed.update(offsets)
        self.progress.last_commit_monotonic = time.monotonic()
