"""command_service/publisher.py with fake producers: bounded waits and wedge recovery."""

import asyncio
import uuid
from collections.abc import Sequence
from typing import TypedDict

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, OutOfOrderSequenceNumber
from aiokafka.partitioner import DefaultPartitioner

from command_service.publisher import BrokerUnavailable, CommandPublisher, ProduceBatch
from command_service.settings import CommandSettings
from shared.messages import TimestampCommand
from tests.test_messages import COMMAND


class Appended(TypedDict):
    timestamp: float | None
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class Sent(Appended):
    topic: str


class FakeBatch:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.records: list[Appended] = []

    def append(
        self,
        *,
        timestamp: float | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> object | None:
        if len(self.records) == self.capacity:
            return None
        self.records.append(Appended(timestamp=timestamp, key=key, value=value, headers=headers))
        return object()


class FakeProducer:
    def __init__(
        self, outcome: BaseException | None = None, hang: bool = False, capacity: int = 100
    ) -> None:
        self.outcome, self.hang, self.capacity = outcome, hang, capacity
        self.sent: list[Sent] = []
        self.batches: list[tuple[int, int]] = []  # (partition, records)
        self.records: list[tuple[int, Appended]] = []  # (partition, record)
        self.started = self.stopped = False
        self.start_error: BaseException | None = None
        self.answered: asyncio.Event | None = None  # when set: deliveries wait for it

    async def start(self) -> None:
        if self.start_error is not None:
            raise self.start_error
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.capacity)

    async def send_batch(
        self, batch: ProduceBatch, topic: str, *, partition: int
    ) -> "asyncio.Future[None]":
        assert isinstance(batch, FakeBatch), "a batch of another producer"
        self.sent += [Sent(topic=topic, **record) for record in batch.records]
        self.records += [(partition, record) for record in batch.records]
        self.batches.append((partition, len(batch.records)))
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.outcome is not None:
            delivery.set_exception(self.outcome)
        elif self.answered is not None:
            answered = self.answered
            _pending.add(asyncio.ensure_future(_answer_when(answered, delivery)))
        elif not self.hang:
            delivery.set_result(None)
        return delivery


_pending: set["asyncio.Future[None]"] = set()


async def _answer_when(answered: asyncio.Event, delivery: "asyncio.Future[None]") -> None:
    await answered.wait()
    delivery.set_result(None)


async def _publisher(*producers: FakeProducer, timeout: float = 5.0) -> CommandPublisher:
    queue = list(producers)
    publisher = CommandPublisher(
        CommandSettings(kafka_ack_timeout_s=timeout), producer_factory=lambda: queue.pop(0)
    )
    await publisher.start()
    return publisher


async def test_publish_sends_key_value_and_correlation_header() -> None:
    producer = FakeProducer()
    publisher = await _publisher(producer)
    await publisher.publish(COMMAND, "52f2665d-c087-42e5-a571-89061021a37c")
    [sent] = producer.sent
    assert sent["topic"] == "timestamp.command.v1"
    assert sent["key"] == COMMAND.key() and sent["value"] == COMMAND.encode()
    assert sent["headers"] == [("correlationId", b"52f2665d-c087-42e5-a571-89061021a37c")]


async def test_commands_of_one_turn_share_a_batch_and_batches_rotate_partitions() -> None:
    producer = FakeProducer(capacity=4)
    publisher = await _publisher(producer)
    await asyncio.gather(*(publisher.publish(COMMAND, "c") for _ in range(10)))
    await asyncio.gather(*(publisher.publish(COMMAND, "c") for _ in range(3)))
    assert [records for _, records in producer.batches] == [4, 4, 2, 3]  # one key: one partition
    assert len({partition for partition, _ in producer.batches}) == 1


async def test_each_record_goes_where_kafkas_default_partitioner_puts_its_key() -> None:
    producer = FakeProducer(capacity=1000)
    publisher = await _publisher(producer)
    commands = [
        TimestampCommand(uuid.uuid4(), COMMAND.event_timestamp, COMMAND.accepted_at)
        for _ in range(300)
    ]
    await asyncio.gather(*(publisher.publish(command, "c") for command in commands))
    partitioner = DefaultPartitioner()
    where = {record["key"]: partition for partition, record in producer.records}
    for command in commands:
        assert where[command.key()] == partitioner(command.key(), [0, 1, 2], [0, 1, 2])
    assert len(producer.batches) == 3  # one turn: one batch per partition


async def _linger_publisher(linger: float) -> tuple[CommandPublisher, FakeProducer]:
    producer = FakeProducer()
    settings = CommandSettings(kafka_linger_ms=int(linger * 1000))
    publisher = CommandPublisher(settings, producer_factory=lambda: producer)
    await publisher.start()
    return publisher, producer


async def _settled() -> None:
    for _ in range(20):  # every callback and task made runnable so far has run
        await asyncio.sleep(0)


async def test_a_batch_forms_while_the_one_before_travels_and_leaves_when_it_is_answered() -> None:
    linger = 1.0  # long enough that a busy machine cannot blur the cases
    publisher, producer = await _linger_publisher(linger)
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(publisher.publish(COMMAND, "c"), linger / 3)  # quiet: at once
    producer.answered = asyncio.Event()
    first = asyncio.ensure_future(publisher.publish(COMMAND, "c"))
    await _settled()
    following = [asyncio.ensure_future(publisher.publish(COMMAND, "c")) for _ in range(3)]
    await _settled()
    assert [records for _, records in producer.batches] == [1, 1]  # the 3 wait for the ack
    answered = loop.time()
    producer.answered.set()
    await asyncio.gather(first, *following)
    assert [records for _, records in producer.batches] == [1, 1, 3]
    assert loop.time() - answered < linger / 3  # not held for the window


async def test_a_batch_waits_for_the_one_travelling_no_longer_than_the_linger_window() -> None:
    linger = 0.5
    publisher, producer = await _linger_publisher(linger)
    producer.answered = asyncio.Event()  # never set: the first batch stays unanswered
    loop = asyncio.get_running_loop()
    travelling = asyncio.ensure_future(publisher.publish(COMMAND, "c"))
    await _settled()
    left = loop.time()
    waiting = asyncio.ensure_future(publisher.publish(COMMAND, "c"))
    while len(producer.batches) < 2:
        await asyncio.sleep(0.01)
    assert linger * 0.8 < loop.time() - left < linger * 4
    for request in (travelling, waiting):
        request.cancel()


async def test_a_failed_batch_fails_each_of_its_requests() -> None:
    publisher = await _publisher(FakeProducer(KafkaTimeoutError()))
    outcomes = await asyncio.gather(
        *(publisher.publish(COMMAND, "c") for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(outcome, BrokerUnavailable) for outcome in outcomes)
    assert len({id(outcome) for outcome in outcomes}) == 5  # one exception each


async def test_an_ack_that_never_comes_is_bounded() -> None:
    publisher = await _publisher(FakeProducer(hang=True), timeout=0.05)
    with pytest.raises(BrokerUnavailable, match="within 0.05s"):
        await publisher.publish(COMMAND, "c")


async def test_a_broker_error_is_unavailable_and_keeps_the_producer() -> None:
    producer = FakeProducer(KafkaTimeoutError())
    publisher = await _publisher(producer)
    with pytest.raises(BrokerUnavailable):
        await publisher.publish(COMMAND, "c")
    producer.outcome = None
    await publisher.publish(COMMAND, "c")
    assert len(producer.sent) == 2


async def test_a_wedged_idempotent_producer_is_replaced() -> None:
    wedged, fresh = FakeProducer(OutOfOrderSequenceNumber()), FakeProducer()
    publisher = await _publisher(wedged, fresh)
    with pytest.raises(BrokerUnavailable, match="OutOfOrderSequenceNumber"):
        await publisher.publish(COMMAND, "c")
    await publisher.publish(COMMAND, "c")
    assert fresh.started and len(fresh.sent) == 1
    await asyncio.sleep(0)  # the wedged producer is stopped in the background
    assert wedged.stopped


async def test_a_replacement_that_cannot_start_answers_and_is_tried_again() -> None:
    wedged, broken, fresh = FakeProducer(OutOfOrderSequenceNumber()), FakeProducer(), FakeProducer()
    publisher = await _publisher(wedged)
    broken.start_error = KafkaConnectionError()
    queue = [broken, fresh]
    publisher._new_producer = lambda: queue.pop(0)
    async with asyncio.timeout(2):  # answered, not hung
        with pytest.raises(BrokerUnavailable):
            await publisher.publish(COMMAND, "c")
        await asyncio.sleep(0.01)  # the failed replacement runs in the background
        assert broken.stopped and not fresh.started
        with pytest.raises(BrokerUnavailable):
            await publisher.publish(COMMAND, "c")  # still wedged: replaced this time
        await asyncio.sleep(0.01)
        await publisher.publish(COMMAND, "c")
    assert fresh.started and len(fresh.sent) == 1


async def test_retry_after_follows_the_outage_and_ends_with_an_ack() -> None:
    failing, healthy = FakeProducer(KafkaConnectionError()), FakeProducer()
    publisher = await _publisher(failing)
    assert publisher.retry_after_s() == 1
    with pytest.raises(BrokerUnavailable):
        await publisher.publish(COMMAND, "c")
    assert publisher.retry_after_s() == 1  # the outage has only just begun
    publisher._outage.failed(sent_at=asyncio.get_running_loop().time() - 3.2)
    assert publisher.retry_after_s() == 4
    publisher._producer = healthy  # the broker is back
    await publisher.publish(COMMAND, "c")
    assert publisher.retry_after_s() == 1
