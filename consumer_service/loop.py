"""poll → decode → dead-letter the poison → one DB transaction → commit exactly those offsets.
The next batch is polled and decoded while the current one is in its transaction, and applied
while the offsets of those before it are being committed."""

import asyncio
import logging
import time
from bisect import bisect_left
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from itertools import islice
from operator import attrgetter
from typing import NamedTuple, Protocol, TypeVar

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry.trace import SpanKind

from consumer_service.dead_letters import DeadLetterFailed, reason_of
from consumer_service.lenient_records import install as read_records_leniently
from consumer_service.lenient_records import undecodable_header, undecodable_names_read
from consumer_service.metrics import ConsumerMetrics
from consumer_service.progress import Progress
from consumer_service.retry import retry_forever
from consumer_service.settings import ConsumerSettings
from consumer_service.sink import Pool, apply_batch
from shared import tracing
from shared.correlation import KAFKA_HEADER
from shared.headers import header_text
from shared.kafka import KafkaRecord
from shared.messages import BadHeaders, Conflict, PoisonMessage, Row, decode_row
from shared.schema import TABLE
from shared.tracing import links_to, parent_of, span

Batch = Mapping[TopicPartition, Sequence[KafkaRecord]]
T = TypeVar("T")
# Called once a batch's rows are committed to the database, before its offsets are committed.
AfterDbCommit = Callable[[], None]


def nothing() -> None:
    """The AfterDbCommit of the service as it runs in production."""


class Consumer(Protocol):
    """What the loop needs of a Kafka consumer (AIOKafkaConsumer)."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int, max_records: int
    ) -> Mapping[TopicPartition, Sequence[KafkaRecord]]: ...

    def assignment(self) -> set[TopicPartition]: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...


class DeadLetterQueue(Protocol):
    """Where the loop sends what it cannot apply (dead_letters.DeadLetters)."""

    @property
    def topic(self) -> str: ...

    async def send(self, record: KafkaRecord, error: Exception) -> bool:
        """True when it went as a truncated copy; raises DeadLetterFailed."""


class Prepared(NamedTuple):
    rows: list[Row]
    records: list[KafkaRecord]  # the record of each row, for a conflict's DLQ copy
    offsets: dict[TopicPartition, int]  # the next offset to read, per partition
    size: int  # records polled, poison included
    blocked: list["Blocked"]  # partitions whose DLQ send failed: paused at that record
    epoch: int = 0  # the assignment it was polled in: a partition revoked since is not ours


class Blocked(NamedTuple):
    tp: TopicPartition
    record: KafkaRecord
    error: Exception
    failure: DeadLetterFailed
    epoch: int


STOPPED_LOG_EVERY_S = 60.0  # a stopped partition's ERROR line, not one per attempt
FINAL_HOLD_WAIT_S = 5.0  # of a shutdown's 10 s; a dead letter still unsent is read again
CHUNK = 250  # records unpacked or decoded between two yields to the event loop
_log = structlog.get_logger("consumer")
# At import, not in ConsumeLoop: a consumer assigned partitions fetches before the loop exists
# (ops/replay.py awaits positions first), and a header name in that fetch may not be UTF-8.
read_records_leniently()


def _where(record: KafkaRecord) -> dict[str, object]:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}


async def poll_batch(
    consumer: Consumer, *partitions: TopicPartition, timeout_ms: int, max_records: int
) -> dict[TopicPartition, list[KafkaRecord]]:
    """Up to `max_records` of what has been fetched, waiting `timeout_ms` only for the first.
    Taken in chunks, yielding between them, so the event loop keeps feeding the transaction
    that is in flight meanwhile instead of leaving PostgreSQL idle."""
    batch: dict[TopicPartition, list[KafkaRecord]] = {}
    taken, wait = 0, timeout_ms
    while taken < max_records:
        limit = min(CHUNK, max_records - taken)
        chunk = await consumer.getmany(*partitions, timeout_ms=wait, max_records=limit)
        before = taken
        for tp, records in chunk.items():
            batch.setdefault(tp, []).extend(records)
            taken += len(records)
        if taken - before < limit:
            break  # what was fetched is all taken: a lone record goes on at once
        wait = 0
        await asyncio.sleep(0)
    return batch


_offset = attrgetter("offset")
_timestamp = attrgetter("timestamp")


def correlation_id(record: KafkaRecord) -> str | None:
    return header_text(record.headers, KAFKA_HEADER)


class ConsumeLoop:
    def __init__(
        self,
        consumer: Consumer,
        pool: Pool,
        dead_letters: DeadLetterQueue,
        settings: ConsumerSettings,
        metrics: ConsumerMetrics,
        after_db_commit: AfterDbCommit = nothing,
    ) -> None:
        self._consumer = consumer
        self._pool = pool
        self._dead_letters = dead_letters
        self._settings = settings
        self.progress = Progress()
        self._after_db_commit = after_db_commit
        self.metrics = metrics
        self._stopping = asyncio.Event()
        self._applied_offsets: dict[TopicPartition, int] = {}  # applied, not yet committed
        self._committing: asyncio.Task[None] | None = None  # the offset commit in flight
        self._last_commit_attempt = 0.0
        self._commit_interval_s = settings.offset_commit_interval_ms / 1000
        self._blocked: set[TopicPartition] = set()  # sought back to a poison record, paused
        self._unblocking: dict[TopicPartition, asyncio.Task[None]] = {}
        # Conflicts whose dead letter is not yet acknowledged, in offset order, per partition:
        # its offset commits stop before the first; what was applied past it waits here.
        self._held: dict[TopicPartition, list[tuple[KafkaRecord, Exception]]] = {}
        self._withheld: dict[TopicPartition, int] = {}
        self._holding: dict[TopicPartition, asyncio.Task[None]] = {}
        self._epoch = 0  # one more at each revoke
        self._revoked_at: dict[TopicPartition, int] = {}
        self._tracer = tracing.TRACER  # decided once: no span while tracing is off
        self._max_links = 0 if self._tracer is None else tracing.max_links()

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
            del batch  # applied meanwhile, maybe: not held through the next poll

    async def run_pipelined(
        self, batches: AsyncIterator[Batch], on_applied: Callable[[Prepared], None] | None = None
    ) -> None:
        """Fetch and decode batch N+1 while batch N is in its transaction: the consumer's CPU
        work overlaps PostgreSQL's. Batches are still applied and committed one at a time, in
        order, so an offset is only ever committed after its own batch's transaction.
        Batch N+2 is polled only once N+1 is taken, so at most two batches are held decoded:
        a third would not keep PostgreSQL any busier, only add its records to the peak RSS."""
        prepared: asyncio.Queue[Prepared | None] = asyncio.Queue(maxsize=1)
        idle_s = max(self._commit_interval_s, 0.01)

        async def fetch() -> None:
            polled = aiter(batches)
            while True:
                epoch = self._epoch  # before the poll: a revoke during it makes the batch stale
                batch = await anext(polled, None)
                if batch is None:
                    break
                ready = await self.prepare(batch, epoch)
                del batch
                await prepared.put(ready)
                for blocked in ready.blocked:  # after the put: its offsets go after the batch's
                    self._unblock(blocked, prepared)
                del ready
                await prepared.join()  # until apply() has taken it
            await prepared.put(None)

        async def apply() -> None:
            while True:
                try:
                    async with asyncio.timeout(idle_s):  # not wait_for: it can swallow a cancel
                        ready = await prepared.get()
                except TimeoutError:
                    self._commit_in_background()  # nothing new: commit what is due
                    continue
                prepared.task_done()
                if ready is None:
                    break
                await self.apply(ready)
                if on_applied is not None:
                    on_applied(ready)
                del ready  # applied: not held through the wait for the next one
            if self._holding:  # let conflicts' dead letters land, so the end commits past them
                await asyncio.wait(list(self._holding.values()), timeout=FINAL_HOLD_WAIT_S)
            await self._commit_settled()
            await self.commit_applied()

        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(fetch())
                tasks.create_task(apply())
        finally:
            committing = [] if self._committing is None else [self._committing]
            for task in [*self._unblocking.values(), *self._holding.values(), *committing]:
                task.cancel()

    async def prepare(self, batch: Batch, epoch: int | None = None) -> Prepared:
        """Decode a polled batch; poison records go to the dead-letter topic on the way."""
        epoch = self._epoch if epoch is None else epoch
        size = sum(map(len, batch.values()))
        self.metrics.batch_size.observe(size)
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
        rows: list[Row] = []
        records: list[KafkaRecord] = []
        blocked: list[Blocked] = []
        decoded = [(tp, await self._decode(records)) for tp, records in batch.items()]
        poisoned = [poison for _, (*_, poison) in decoded]
        stops: list[Blocked | None] = [None] * len(decoded)
        if any(poisoned):  # a task per partition only when there is poison to send
            stops = await asyncio.gather(*map(self._dead_letter_all, poisoned))
        for (tp, (good_rows, good, _)), stop in zip(decoded, stops, strict=True):
            if stop is not None:
                offsets[tp] = stop.record.offset
                cut = bisect_left(good, stop.record.offset, key=_offset)
                good_rows, good = good_rows[:cut], good[:cut]
                if self._owned(tp, epoch):  # else its new owner reads it again, and sends it
                    blocked.append(stop._replace(epoch=epoch))
                    self._pause_at(tp, stop.record.offset, stop.failure)
            rows += good_rows
            records += good
        return Prepared(rows, records, offsets, size, blocked, epoch)

    async def apply(self, batch: Prepared) -> None:
        """One transaction for the batch's rows, then commit exactly its offsets."""
        if self._tracer is None:
            await self._apply(batch)
            return
        # The span links every record's producer span, as many as the SDK keeps (128 unless
        # OTEL_SPAN_LINK_COUNT_LIMIT says otherwise: the rest would be parsed to be dropped);
        # it is the child of the first of them, so a command's own trace shows its batch.
        headers = (header_text(r.headers, tracing.HEADER) for r in batch.records)
        links = links_to(islice(filter(None, map(parent_of, headers)), self._max_links))
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": self._settings.kafka_consumer_topic,
            "messaging.batch.message_count": batch.size,
        }
        name = f"process {self._settings.kafka_consumer_topic}"
        parent = links[0].context if links else None
        with span(self._tracer, name, SpanKind.CONSUMER, parent, links, attributes):
            await self._apply(batch)

    async def _write(self, rows: Sequence[Row]) -> tuple[int, list[int]]:
        if self._tracer is None:
            return await apply_batch(self._pool, rows)
        attributes: dict[str, str | int] = {
            "db.system.name": "postgresql",
            "db.operation.name": "INSERT",
            "db.collection.name": TABLE,
            "db.operation.batch.size": len(rows),
        }
        with span(self._tracer, f"INSERT {TABLE}", SpanKind.CLIENT, attributes=attributes):
            return await apply_batch(self._pool, rows)

    async def _apply(self, batch: Prepared) -> None:
        rows = batch.rows
        started = time.perf_counter()
        inserted, conflicts = await self._retry("database write", lambda: self._write(rows))
        elapsed = time.perf_counter() - started
        self.metrics.apply_latency.observe(elapsed)
        if batch.records:
            oldest_ms = min(map(_timestamp, batch.records))
            self.metrics.record_age.observe(max(0.0, time.time() - oldest_ms / 1000))
        self.metrics.records.labels("applied").inc(len(rows) - len(conflicts))
        self.progress.applied += len(rows) - len(conflicts)
        for index in conflicts:
            record = batch.records[index]
            tp = TopicPartition(record.topic, record.partition)
            if self._owned(tp, batch.epoch):  # else its new owner finds the conflict again
                error = Conflict(
                    f"command id {rows[index][0].decode()} is already a row with another"
                    " event_timestamp; the row keeps the first"
                )
                self._hold(tp, record, error)
        self._after_db_commit()
        self._note_applied(batch)
        if time.monotonic() - self._last_commit_attempt >= self._commit_interval_s:
            self._commit_in_background()
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

    async def _decode(
        self, records: Sequence[KafkaRecord]
    ) -> tuple[list[Row], list[KafkaRecord], list[tuple[KafkaRecord, Exception]]]:
        """One partition's records as rows, the record of each row, and poison; never raises.
        A chunk is decoded in one pass, and again record by record only when that raised, or
        when each record is to be logged or its header names checked."""
        rows: list[Row] = []
        good: list[KafkaRecord] = []
        poison: list[tuple[KafkaRecord, Exception]] = []
        one_by_one = _log.is_enabled_for(logging.DEBUG) or undecodable_names_read()
        for start in range(0, len(records), CHUNK):
            if start:
                await asyncio.sleep(0)
            chunk = records[start : start + CHUNK]
            if not one_by_one:
                try:
                    rows += list(map(decode_row, [record.value for record in chunk]))
                except Exception:  # noqa: BLE001 - told apart record by record below
                    pass
                else:
                    good += chunk
                    continue
            self._decode_each(chunk, rows, good, poison)
        return rows, good, poison

    def _decode_each(
        self,
        records: Sequence[KafkaRecord],
        rows: list[Row],
        good: list[KafkaRecord],
        poison: list[tuple[KafkaRecord, Exception]],
    ) -> None:
        debug = _log.is_enabled_for(logging.DEBUG)
        for record in records:
            try:
                name = undecodable_header(record.headers)
                if name is not None:
                    raise BadHeaders(f"header name {name.raw!r} is not UTF-8")
                row = decode_row(record.value)
            except PoisonMessage as error:
                poison.append((record, error))
                continue
            except Exception as error:  # noqa: BLE001 - a bug: this record's, not the loop's
                _log.exception("decoding a record raised; dead-lettering it", **_where(record))
                poison.append((record, error))
                continue
            rows.append(row)
            good.append(record)
            if debug:
                _log.debug(
                    "command received",
                    correlationId=correlation_id(record),
                    command_id=row[0].decode(),
                    **_where(record),
                )

    def _owned(self, tp: TopicPartition, epoch: int) -> bool:
        """Still ours since a batch of `epoch` was polled (not revoked, even if assigned back)."""
        return tp in self._consumer.assignment() and self._revoked_at.get(tp, -1) <= epoch

    def _note_applied(self, batch: Prepared) -> None:
        """The batch's offsets become committable, but never past a held conflict."""
        for tp, offset in batch.offsets.items():
            if self._revoked_at.get(tp, -1) > batch.epoch:
                continue  # the new assignment reads it again from the committed offset
            held = self._held.get(tp)
            if held:
                self._withheld[tp] = offset
                offset = min(offset, held[0][0].offset)
            self._applied_offsets[tp] = offset

    def _hold(self, tp: TopicPartition, record: KafkaRecord, error: Exception) -> None:
        self._held.setdefault(tp, []).append((record, error))
        if tp not in self._holding:
            self._holding[tp] = asyncio.create_task(self._dead_letter_held(tp))

    async def _dead_letter_held(self, tp: TopicPartition) -> None:
        """Send a partition's conflicts to the DLQ in order, retrying: while one fails the
        partition pauses (the others go on); once all are sent its offsets commit again."""
        held = self._held[tp]
        while held:
            record, error = held[0]
            truncated = await self._send_until_sent(tp, record, error)
            held.pop(0)
            self._counted_dead_letter(record, error, truncated)
        del self._held[tp]
        self._holding.pop(tp, None)
        withheld = self._withheld.pop(tp, None)
        if withheld is not None:
            self._applied_offsets[tp] = withheld
        self._resume_if_clear(tp)

    async def _dead_letter_all(self, poison: list[tuple[KafkaRecord, Exception]]) -> Blocked | None:
        """One partition's poison, in order; the first that cannot be sent stops the rest."""
        for record, error in poison:
            try:
                truncated = await self._dead_letters.send(record, error)
            except DeadLetterFailed as failure:
                tp = TopicPartition(record.topic, record.partition)
                return Blocked(tp, record, error, failure, self._epoch)
            self._counted_dead_letter(record, error, truncated)
        return None

    def _counted_dead_letter(self, record: KafkaRecord, error: Exception, truncated: bool) -> None:
        try:
            self.progress.dead_lettered += 1
            self.metrics.records.labels("dead_lettered").inc()
            self.metrics.dead_letters.labels(reason_of(error)).inc()
            _log.warning(
                "record dead-lettered",
                correlationId=correlation_id(record),
                **_where(record),
                reason=reason_of(error),
                error_type=type(error).__name__,
                detail=str(error)[:300],
                truncated=truncated,
                dlq=self._dead_letters.topic,
            )
        except Exception:  # noqa: BLE001 - it is in the DLQ: counting it must not undo that
            _log.exception("counting a dead letter failed", **_where(record))

    def _pause_at(self, tp: TopicPartition, offset: int, failure: DeadLetterFailed) -> None:
        """Stop reading `tp` at `offset` until its dead letter is sent; others go on."""
        self._consumer.seek(tp, offset)
        self._blocked.add(tp)
        self._paused_by(tp, failure)

    def _paused_by(self, tp: TopicPartition, failure: DeadLetterFailed) -> None:
        if tp not in self._consumer.assignment():
            return
        if tp not in self.progress.paused:
            self.metrics.partition_pauses.labels(failure.reason).inc()
        self._consumer.pause(tp)  # aiokafka drops what it prefetched; the position stays
        self.progress.block(tp, failure.reason, stopped=not failure.transient)

    def _resume_if_clear(self, tp: TopicPartition) -> None:
        if tp in self._blocked or tp in self._held:
            return  # another dead letter of this partition is still pending
        self.progress.unblock(tp)
        if tp in self._consumer.assignment():
            self._consumer.resume(tp)

    def _unblock(self, blocked: Blocked, queue: "asyncio.Queue[Prepared | None]") -> None:
        if self._owned(blocked.tp, blocked.epoch):  # the put may have waited out a rebalance
            task = asyncio.create_task(self._retry_blocked(blocked, queue))
            self._unblocking[blocked.tp] = task

    async def _retry_blocked(
        self, blocked: Blocked, queue: "asyncio.Queue[Prepared | None]"
    ) -> None:
        """Once a blocked partition's dead letter is sent, its offset is committed after the
        batch that came before it and reading goes on after it. Registered in `_unblocking`
        until the seek, so that a revoke cancels it rather than let it seek a new assignment."""
        tp, record, error, failure, epoch = blocked
        truncated = await self._send_until_sent(tp, record, error, failure)
        self._counted_dead_letter(record, error, truncated)
        if tp in self._consumer.assignment():
            await queue.put(Prepared([], [], {tp: record.offset + 1}, 1, [], epoch))
            self._consumer.seek(tp, record.offset + 1)
        self._unblocking.pop(tp, None)
        self._blocked.discard(tp)
        self._resume_if_clear(tp)
        _log.info("partition resumed: its dead letter was sent", **_where(record))

    async def _send_until_sent(
        self,
        tp: TopicPartition,
        record: KafkaRecord,
        error: Exception,
        failure: DeadLetterFailed | None = None,
    ) -> bool:
        """Send a dead letter, retrying with backoff while `tp` stays paused; a stopped
        partition too (an operator may create or open the DLQ) but with one ERROR line a
        minute, not one per attempt. True when it went as a truncated copy."""
        delay, logged = self._settings.retry_initial_s, -STOPPED_LOG_EVERY_S
        while True:
            if failure is not None:
                self._paused_by(tp, failure)
                if not failure.transient and time.monotonic() - logged >= STOPPED_LOG_EVERY_S:
                    logged = time.monotonic()
                    _log.error(
                        "partition stopped: its dead letter cannot be written",
                        **_where(record),
                        reason=failure.reason,
                        error=str(failure)[:300],
                    )
                elif failure.transient:
                    _log.warning(
                        "dead-letter publish failed; partition paused, retrying",
                        **_where(record),
                        reason=failure.reason,
                        retry_in_s=round(delay, 3),
                    )
                self.progress.retries += 1
                self.metrics.retries.labels("dead-letter publish").inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.retry_max_s)
            try:
                return await self._dead_letters.send(record, error)
            except DeadLetterFailed as again:
                failure = again
            except Exception as bug:  # noqa: BLE001 - keep the partition paused, say why
                failure = DeadLetterFailed(bug)

    def partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """A revoked partition's new owner (maybe this consumer again) reads it from the
        committed offset: what is pending for it here is dropped, and the offsets of batches
        polled before the revoke are never committed."""
        self._epoch += 1
        for tp in revoked:
            self._revoked_at[tp] = self._epoch
            for tasks in (self._unblocking, self._holding):
                task = tasks.pop(tp, None)
                if task is not None:
                    task.cancel()
            self._blocked.discard(tp)
            self._held.pop(tp, None)
            self._withheld.pop(tp, None)
            self._applied_offsets.pop(tp, None)
            self.progress.unblock(tp)

    def _commit_in_background(self) -> None:
        """Commit what is applied while the next batches are applied, unless a commit is still
        out: one at a time, so a partition's committed offset only moves forward, and what is
        applied meanwhile goes with the next one."""
        committing = self._committing
        if committing is not None:
            if not committing.done():
                return
            self._committing = None
            committing.result()  # a commit that raised (a bug) ends the loop, as if awaited
        if self._applied_offsets:
            self._committing = asyncio.create_task(self.commit_applied())

    async def _commit_settled(self) -> None:
        """The commit in flight, if any, finished."""
        committing, self._committing = self._committing, None
        if committing is not None:
            await committing

    async def commit_applied(self) -> None:
        """Commit the offsets of every batch applied so far. Committed at most every
        OFFSET_COMMIT_INTERVAL_MS under load: later is always safe (a redelivered batch is
        idempotent), and each commit is a broker round trip and a write."""
        self._last_commit_attempt = time.monotonic()
        if self._applied_offsets:
            offsets, self._applied_offsets = self._applied_offsets, {}
            await self._commit(offsets)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """A partition revoked from us is left to its new owner (which redelivers from the
        group's committed offset); a failed commit is kept to be tried with the next one."""
        owned, epoch = self._consumer.assignment(), self._epoch
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
                if self._revoked_at.get(tp, -1) > epoch:
                    continue  # revoked during the commit: not ours to commit any more
                later = self._applied_offsets.get(tp, offset)
                self._applied_offsets[tp] = max(offset, later)
            return
        self.progress.committed.update(offsets)
        self.progress.last_commit_monotonic = time.monotonic()
        self.progress.last_commit_time = time.time()
