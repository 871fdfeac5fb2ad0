"""What the consumer service runs on: the pool, the Kafka clients and the consume loop.

It connects in the background, so `/health` answers at once while `/ready` says it is still
connecting; the consume loop then runs until the app stops."""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import CollectorRegistry

from consumer_service import faults
from consumer_service.dead_letters import DeadLetters
from consumer_service.loop import AfterDbCommit, ConsumeLoop
from consumer_service.metrics import ConsumerMetrics, ProgressCollector
from consumer_service.progress import AssignmentTracker, Progress, partition_name
from consumer_service.retry import retry_forever
from consumer_service.settings import ConsumerSettings
from shared.db import create_pool
from shared.health import NotReady, Readiness, check_readiness
from shared.kafka import client_kwargs
from shared.metrics import PoolCollector, collect_while_open
from shared.schema import ensure_schema

_log = structlog.get_logger("consumer")
STOP_WAIT_S = 10  # for the batch in flight to finish and its offsets to be committed

# A fetch is held raw, then decoded beside the batches in flight, and a response is in memory
# three times while it is parsed. aiokafka takes up to 1 MiB a partition (50 MiB in all): on a
# backlog, MBs of peak RSS more than a batch needs. 256 KiB (~1,300 records) a partition and
# 1 MiB a response keep up to ~7,800 records fetched ahead on the default six partitions.
PARTITION_FETCH_BYTES = 256 * 1024
FETCH_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Connected:
    """What the consumer runs on once it has connected."""

    pool: asyncpg.Pool
    kafka_consumer: AIOKafkaConsumer
    consume_loop: ConsumeLoop


@dataclass(frozen=True)
class ConsumerRuntime:
    settings: ConsumerSettings
    connected: "asyncio.Future[Connected]"  # done once connected; never fails

    def connection(self) -> Connected | None:
        return self.connected.result() if self.connected.done() else None

    async def ready(self) -> Readiness:
        return await check_readiness({"database": self._database_ready, "kafka": self._kafka_ready})

    def _connection_or_raise(self) -> Connected:
        connection = self.connection()
        if connection is None:
            raise RuntimeError("not connected yet")
        return connection

    async def _database_ready(self) -> dict[str, Any]:
        await self._connection_or_raise().pool.fetchval("SELECT 1", timeout=2)
        return {}

    async def _kafka_ready(self) -> dict[str, Any]:
        connection = self._connection_or_raise()
        progress = connection.consume_loop.progress
        if not progress.assigned:
            raise RuntimeError("no partitions assigned")
        if progress.stopped:
            stopped = ", ".join(
                f"{partition_name(tp)}: {why}" for tp, why in progress.stopped.items()
            )
            raise NotReady(f"partitions stopped: {stopped}")
        age = progress.last_commit_age_s()
        return {
            "partitions": len(progress.assigned),
            "lag": progress.lag(connection.kafka_consumer),
            "last_commit_age_s": None if age is None else round(age, 3),
            "applied": progress.applied,
            "dead_lettered": progress.dead_lettered,
            "retries": progress.retries,
            "paused": {partition_name(tp): why for tp, why in progress.paused.items()},
        }

    def pool_if_connected(self) -> asyncpg.Pool | None:
        connection = self.connection()
        return None if connection is None else connection.pool

    def progress_if_connected(self) -> tuple[Progress, AIOKafkaConsumer] | None:
        connection = self.connection()
        if connection is None:
            return None
        return connection.consume_loop.progress, connection.kafka_consumer


ConsumerRuntimeOpener = Callable[
    [ConsumerSettings, CollectorRegistry], AbstractAsyncContextManager[ConsumerRuntime]
]


@asynccontextmanager
async def open_runtime(
    settings: ConsumerSettings, registry: CollectorRegistry
) -> AsyncIterator[ConsumerRuntime]:
    metrics = ConsumerMetrics(registry)
    connected: asyncio.Future[Connected] = asyncio.get_running_loop().create_future()
    async with AsyncExitStack() as stack:
        opened = await stack.enter_async_context(AsyncExitStack())  # closed once it stopped
        consuming = asyncio.create_task(
            _consume(settings, metrics, faults.after_db_commit(settings), opened, connected),
            name="consumer",
        )
        consuming.add_done_callback(_exit_on_crash)
        stack.push_async_callback(_stop, consuming, connected)
        runtime = ConsumerRuntime(settings, connected)
        collect_while_open(stack, registry, PoolCollector(runtime.pool_if_connected))
        collect_while_open(stack, registry, ProgressCollector(runtime.progress_if_connected))
        yield runtime
    _log.info("consumer stopped cleanly")


async def _consume(
    settings: ConsumerSettings,
    metrics: ConsumerMetrics,
    after_db_commit: AfterDbCommit,
    opened: AsyncExitStack,
    connected: "asyncio.Future[Connected]",
) -> None:
    """Connect (what it opens is closed with `opened`), then run the consume loop."""
    pool = await _open_pool(settings)
    opened.push_async_callback(pool.close)
    kafka_consumer, producer = await _start_kafka(settings)
    opened.push_async_callback(producer.stop)
    opened.push_async_callback(kafka_consumer.stop)
    topic = settings.kafka_consumer_topic
    dead_letters = DeadLetters(producer, topic)
    consume_loop = ConsumeLoop(
        kafka_consumer, pool, dead_letters, settings, metrics, after_db_commit
    )
    connected.set_result(Connected(pool, kafka_consumer, consume_loop))
    listener = AssignmentTracker(
        consume_loop.progress, kafka_consumer, consume_loop.partitions_revoked
    )
    kafka_consumer.subscribe([topic], listener=listener)
    await consume_loop.run()


async def _stop(consuming: asyncio.Task[None], connected: "asyncio.Future[Connected]") -> None:
    consuming.remove_done_callback(_exit_on_crash)
    if not connected.done():
        consuming.cancel()  # still connecting: nothing consumed, nothing to finish
        await asyncio.gather(consuming, return_exceptions=True)
        return
    connected.result().consume_loop.stop()
    try:
        await asyncio.wait_for(asyncio.shield(consuming), timeout=STOP_WAIT_S)
    except TimeoutError:
        consuming.cancel()  # an unfinished batch is abandoned uncommitted: it is redelivered
        await asyncio.gather(consuming, return_exceptions=True)


def _exit_on_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:  # a bug, not an outage
        _log.critical("consume loop crashed; exiting for a restart", exc_info=task.exception())
        os._exit(1)


async def _open_pool(settings: ConsumerSettings) -> asyncpg.Pool:
    async def attempt() -> asyncpg.Pool:
        pool = await create_pool(settings)
        async with pool.acquire() as connection:
            await ensure_schema(connection)
        return pool

    return await retry_forever(attempt, "database connect", 0.2, settings.retry_max_s)


def _new_consumer(settings: ConsumerSettings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_kwargs(settings, "consumer"),
        group_id=settings.kafka_group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        fetch_max_bytes=FETCH_MAX_BYTES,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_session_timeout_ms // 3,
    )


def _new_producer(settings: ConsumerSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_kwargs(settings, "dead-letters"),
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=settings.dead_letter_timeout_ms,
    )


async def _start_kafka(settings: ConsumerSettings) -> tuple[AIOKafkaConsumer, AIOKafkaProducer]:
    async def attempt() -> tuple[AIOKafkaConsumer, AIOKafkaProducer]:
        consumer, producer = _new_consumer(settings), _new_producer(settings)
        try:
            await producer.start()
            await consumer.start()
        except BaseException:
            await asyncio.gather(consumer.stop(), producer.stop(), return_exceptions=True)
            raise
        return consumer, producer

    return await retry_forever(attempt, "kafka connect", 0.2, settings.retry_max_s)
