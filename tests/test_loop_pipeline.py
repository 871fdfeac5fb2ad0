"""consumer_service/loop.py's pipeline: the next batch is decoded while one is in its
transaction, and no more than that is held."""

import asyncio
from collections.abc import Sequence

import pytest

from consumer_service import loop as loop_module
from consumer_service.loop import Batch, Prepared
from shared.messages import Row
from tests.test_loop_dead_letters import (
    P0,
    FakeConsumer,
    FakeDeadLetters,
    FakeSink,
    command,
    feed,
    new_loop,
    record,
    until,
)


async def test_one_batch_is_decoded_while_one_applies_and_no_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer, sink, gate = FakeConsumer(), FakeSink(), asyncio.Event()
    writing: list[int] = []

    async def gated(pool: object, rows: Sequence[Row]) -> tuple[int, list[int]]:
        writing.append(len(rows))
        await gate.wait()
        return await sink(pool, rows)

    monkeypatch.setattr(loop_module, "apply_batch", gated)
    loop = new_loop(consumer, FakeDeadLetters())
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    prepared: list[Batch] = []
    prepare = loop.prepare

    async def counted(batch: Batch, epoch: int | None = None) -> Prepared:
        prepared.append(batch)
        return await prepare(batch, epoch)

    monkeypatch.setattr(loop, "prepare", counted)
    for offset in range(4):
        batches.put_nowait({P0: [record(P0, offset, command(offset))]})
    batches.put_nowait(None)
    running = asyncio.create_task(loop.run_pipelined(feed(batches)))
    await until(lambda: len(prepared) >= 2 and writing == [1], "the second batch decoded")
    await asyncio.sleep(0.05)
    assert len(prepared) == 2 and batches.qsize() == 3, "a third batch polled"
    gate.set()
    await running
    assert len(prepared) == 4 and consumer.committed(P0) == 4
