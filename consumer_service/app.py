"""The consumer service: the consume loop plus health/ready on 7081, in one lifespan."""

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

from consumer_service.dead_letters import DeadLetters
from consumer_service.loop import ConsumeLoop
from consumer_service.metrics import ConsumerMetrics, ProgressCollector
from consumer_service.progress import AssignmentTracker, Progress, partition_name
from consumer_service.retry import retry_forever
from consumer_service.settings import ConsumerSettings
from shared.app import build_app
from shared.db import create_pool
from shared.health import NotReady, ReadinessCheck
from shared.kafka import client_kwargs
from shared.metrics import PoolCollector
from shared.schema import ensure_schema

_log = structlog.get_logger("consumer")
# A fetch is held raw, then decoded beside the batches in flight. aiokafka takes up to 1 MiB a
# partition (50 MiB in all): on a backlog, MBs of peak RSS more than a batch needs; 512 KiB
# (~2,000 records) a partition still fills BATCH_MAX_RECORDS on the default six partitions.
PARTITION_FETCH_BYTES = 512 * 1024
FETCH_MAX_BYTES = 8 * 1024 * 1024


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
        max_poll_interval_ms=settings.max_poll_interval_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_session_timeout_ms // 3,
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        fetch_max_bytes=FETCH_MAX_BYTES,
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


def _exit_on_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:  # a bug, not an outage
        _log.critical("consume loop crashed; exiting for a restart", exc_info=task.exception())
        os._exit(1)


class ConsumerRuntime:
    """Connects in the background (so `/health` answers at once), then runs the loop."""

    def __init__(self, settings: ConsumerSettings, metrics: ConsumerMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.pool: asyncpg.Pool | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.loop: ConsumeLoop | None = None

    async def run(self) -> None:
        settings = self.settings
        self.pool = await _open_pool(settings)
        self.consumer, self.producer = await _start_kafka(settings)
        topic = settings.kafka_consumer_topic
        self.loop = ConsumeLoop(
            self.consumer, self.pool, DeadLetters(self.producer, topic), settings, self.metrics
        )
        listener = AssignmentTracker(
            self.loop.progress, self.consumer, self.loop.partitions_revoked
        )
        self.consumer.subscribe([topic], listener=listener)
        await self.loop.run()

    async def stop(self, task: asyncio.Task[None]) -> None:
        if self.loop is None:
            task.cancel()  # still connecting: nothing consumed, nothing to finish
        else:
            self.loop.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except TimeoutError:
            task.cancel()  # an unfinished batch is abandoned uncommitted: it is redelivered
            await asyncio.gather(task, return_exceptions=True)
        if self.consumer is not None:
            await self.consumer.stop()
        if self.producer is not None:
            await self.producer.stop()
        if self.pool is not None:
            await self.pool.close()


def create_app(settings: ConsumerSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ConsumerRuntime(settings, ConsumerMetrics(app.state.registry))
        app.state.runtime = runtime
        task = asyncio.create_task(runtime.run(), name="consumer")
        task.add_done_callback(_exit_on_crash)
        try:
            yield
        finally:
            task.remove_done_callback(_exit_on_crash)
            await runtime.stop(task)
            _log.info("consumer stopped cleanly")

    def checks(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"database": lambda: _database_ready(app), "kafka": lambda: _kafka_ready(app)}

    app = build_app(
        settings,
        "timestamp consumer service",
        "Writes timestamp commands from Kafka into PostgreSQL; HTTP for operations only.",
        lifespan,
        checks,
    )
    app.state.registry.register(PoolCollector(lambda: getattr(_runtime(app), "pool", None)))
    app.state.registry.register(ProgressCollector(lambda: _progress(app)))
    return app


def _runtime(app: FastAPI) -> "ConsumerRuntime | None":
    return getattr(app.state, "runtime", None)


def _progress(app: FastAPI) -> tuple[Progress, AIOKafkaConsumer] | None:
    runtime = _runtime(app)
    if runtime is None or runtime.loop is None or runtime.consumer is None:
        return None
    return runtime.loop.progress, runtime.consumer


async def _database_ready(app: FastAPI) -> dict[str, Any]:
    pool = app.state.runtime.pool
    if pool is None:
        raise RuntimeError("not connected yet")
    await pool.fetchval("SELECT 1", timeout=2)
    return {}


async def _kafka_ready(app: FastAPI) -> dict[str, Any]:
    runtime: ConsumerRuntime = app.state.runtime
    loop, consumer = runtime.loop, runtime.consumer
    if loop is None or consumer is None:
        raise RuntimeError("not connected yet")
    progress = loop.progress
    if not progress.assigned:
        raise RuntimeError("no partitions assigned")
    if progress.stopped:
        stopped = ", ".join(f"{partition_name(tp)}: {why}" for tp, why in progress.stopped.items())
        raise NotReady(f"partitions stopped: {stopped}")
    age = progress.last_commit_age_s()
    return {
        "partitions": len(progress.assigned),
        "lag": progress.lag(consumer),
        "last_commit_age_s": None if age is None else round(age, 3),
        "applied": progress.applied,
        "dead_lettered": progress.dead_lettered,
        "retries": progress.retries,
        "paused": {partition_name(tp): why for tp, why in progress.paused.items()},
    }
