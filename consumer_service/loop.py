"""poll → decode → dead-letter the poison → one DB transaction → commit exactly those offsets."""

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from consumer_service.dead_letters import DeadLetters
from consumer_service.retry import retry_forever
from consumer_service.settings import ConsumerSettings
from consumer_service.sink import apply_batch
from shared.correlation import KAFKA_HEADER
from shared.messages import PoisonMessage, TimestampCommand, decode_command

Record = ConsumerRecord[bytes, bytes]
Batch = Mapping[TopicPartition, Sequence[Record]]
_log = structlog.get_logger("consumer")


@dataclass
class Progress:
    """What `/ready` and the metrics report about the loop."""

    assigned: set[TopicPartition] = field(default_factory=set)
    applied: int = 0
    dead_lettered: int = 0
    retries: int = 0
    last_commit_monotonic: float | None = None
    committed: dict[TopicPartition, int] = field(default_factory=dict)


class AssignmentTracker(ConsumerRebalanceListener):
    """Offsets are committed right after each batch's transaction, so a revoke has nothing
    durable left to commit; an in-flight batch of a revoked partition fails its commit and is
    redelivered to the new owner, where the idempotent insert makes it harmless."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._progress.assigned -= set(revoked)
        _log.info(
            "partitions revoked", partitions=sorted(f"{tp.topic}-{tp.partition}" for tp in revoked)
        )

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._progress.assigned = set(assigned)
        _log.info(
            "partitions assigned",
            partitions=sorted(f"{tp.topic}-{tp.partition}" for tp in assigned),
        )


def names(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}-{tp.partition}" for tp in partitions)


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
    ) -> None:
        self._consumer = consumer
        self._pool = pool
        self._dead_letters = dead_letters
        self._settings = settings
        self.progress = Progress()
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
        commands = await self._decode(batch)
        started = time.perf_counter()
        inserted = await retry_forever(
            lambda: apply_batch(self._pool, commands),
            "database write",
            self._settings.retry_initial_s,
            self._settings.retry_max_s,
            on_retry=self._count_retry,
        )
        self.progress.applied += len(commands)
        await self._commit({tp: records[-1].offset + 1 for tp, records in batch.items()})
        _log.info(
            "batch applied",
            records=sum(map(len, batch.values())),
            commands=len(commands),
            inserted=inserted,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _count_retry(self) -> None:
        self.progress.retries += 1

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
        await retry_forever(
            lambda: self._dead_letters.send(record, error),
            "dead-letter publish",
            self._settings.retry_initial_s,
            self._settings.retry_max_s,
            on_retry=self._count_retry,
        )
        self.progress.dead_lettered += 1
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
