"""poll → decode → dead-letter the poison → one DB transaction → commit exactly those offsets."""

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from consumer_service.dead_letters import DeadLetters
from consumer_service.metrics import ConsumerMetrics
from consumer_service.progress import Progress
from consumer_service.retry import retry_forever
from consumer_service.settings import ConsumerSettings
from consumer_service.sink import apply_batch
from shared.correlation import KAFKA_HEADER
from shared.messages import PoisonMessage, TimestampCommand, decode_command

Record = ConsumerRecord[bytes, bytes]
Batch = Mapping[TopicPartition, Sequence[Record]]
T = TypeVar("T")
CRASH_EXIT_CODE = 70
_log = structlog.get_logger("consumer")


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

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            batch = await self._consumer.getmany(
                timeout_ms=self._settings.poll_timeout_ms,
                max_records=self._settings.batch_max_records,
            )
            if batch:
                await self.handle(batch)

    async def handle(self, batch: Batch) -> None:
        size = sum(map(len, batch.values()))
        self.metrics.batch_size.observe(size)
        commands = await self._decode(batch)
        started = time.perf_counter()
        inserted = await self._retry("database write", lambda: apply_batch(self._pool, commands))
        elapsed = time.perf_counter() - started
        self.metrics.apply_latency.observe(elapsed)
        self.metrics.records.labels("applied").inc(len(commands))
        self.progress.applied += len(commands)
        self._batches += 1
        if self._batches == self._settings.fault_crash_after_db_commit:
            os._exit(CRASH_EXIT_CODE)  # fault injection: the window between the two commits
        await self._commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
        _log.info(
            "batch applied",
            records=size,
            commands=len(commands),
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

    async def _decode(self, batch: Batch) -> list[TimestampCommand]:
        commands: list[TimestampCommand] = []
        debug = _log.is_enabled_for(logging.DEBUG)
        for records in batch.values():
            for record in records:
                try:
                    command = decode_command(record.value)
                except PoisonMessage as error:
                    await self._dead_letter(record, error)
                    continue
                commands.append(command)
                if debug:
                    _log.debug(
                        "command received",
                        correlationId=correlation_id(record),
                        command_id=str(command.command_id),
                        partition=record.partition,
                        offset=record.offset,
                    )
        return commands

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

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except KafkaError as error:
            _log.warning(
                "offset commit failed; the batch will be redelivered (writes are idempotent)",
                error_type=type(error).__name__,
                error=str(error)[:300],
            )
            return
        self.progress.committed.update(offsets)
        self.progress.last_commit_monotonic = time.monotonic()
