"""Any record Kafka can hold, from any producer: the consumer keeps its process, dead-letters
what it cannot apply (exactly once, with a reason), and every good command becomes a row.
Three cases by name (a null header value, a record too large for the DLQ, a missing DLQ), then a
seeded generator of hostile records (FOREIGN_RECORDS of them)."""

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.producer import message_accumulator
from aiokafka.producer import producer as producer_module
from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy
from aiokafka.structs import ConsumerRecord, RecordMetadata

from harness.db import count_rows
from harness.kafka import topic_records, topic_size
from harness.processes import ServiceProcess
from harness.stack import consumer_env
from harness.waiting import eventually
from ops.topics import KEEP_FOREVER
from shared.kafka import client_kwargs, dead_letter_topic
from shared.messages import TimestampCommand
from shared.schema import TABLE
from shared.settings import KafkaSettings
from tests.raw_names import RawHeaderName

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
FOREIGN = int(os.environ.get("FOREIGN_RECORDS", "5000"))
SEED = int(os.environ.get("FOREIGN_SEED", "16"))
PARTITIONS = 3
Letter = ConsumerRecord[bytes, bytes]
Headers = list[tuple[str, bytes | None]]
# The DLQ's header names as docs/asyncapi.json documents them: a contract, so spelt out here.
PREFIX, REASON, TRUNCATED = "__connect.errors.", "dlq.reason", "dlq.truncated"
ORIGINAL_VALUE_BYTES = "dlq.original.value.bytes"


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        **client_kwargs(kafka_settings, "tests"), acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def raw_header_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's producers build batches in Python, so a `RawHeaderName` goes as is."""
    for module in (message_accumulator, producer_module):
        monkeypatch.setattr(module, "DefaultRecordBatchBuilder", _DefaultRecordBatchBuilderPy)


def good_command(moment: datetime | None = None) -> TimestampCommand:
    now = datetime.now(UTC)
    return TimestampCommand(uuid.uuid4(), moment or now, now)


async def start_consumer(
    topic: str, services: list[ServiceProcess], path: str = "/health", **env: str
) -> tuple[ServiceProcess, int]:
    """A consumer of `topic` answering `path`, and its pid."""
    consumer = ServiceProcess(
        "consumer_service",
        consumer_env(topic, f"g-{topic}", **env),
    ).start()
    services.append(consumer)
    await consumer.wait_healthy(path=path)
    assert consumer.process is not None
    return consumer, consumer.process.pid


async def dead_letters(settings: KafkaSettings, topic: str, count: int) -> list[Letter]:
    dlq = dead_letter_topic(topic)

    async def all_there() -> bool:
        return await topic_size(settings, dlq) >= count

    await eventually(all_there, 30, f"{count} dead letters")
    records = await topic_records(settings, dlq)
    assert len(records) == count, f"{len(records)} dead letters for {count} bad records"
    return records


def headers(record: Letter) -> dict[str, bytes | None]:
    return dict(record.headers)


def header_items(record: Letter) -> Headers:
    """As Kafka has them: aiokafka reads a null value as None (its annotation says bytes)."""
    return list(record.headers)


async def ready(http: httpx.AsyncClient, consumer: ServiceProcess) -> httpx.Response:
    return await http.get(f"{consumer.url}/ready")


def alive(consumer: ServiceProcess, pid: int) -> None:
    assert consumer.process is not None
    assert consumer.process.poll() is None, f"the consumer exited: {consumer.tail()}"
    assert consumer.process.pid == pid


async def test_case1_a_null_header_value_does_not_kill_the_consumer(
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    db: asyncpg.Pool,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
    producer: AIOKafkaProducer,
) -> None:
    consumer, pid = await start_consumer(fresh_topic, services, "/ready")
    await producer.send_and_wait(fresh_topic, b"junk", headers=[("correlationId", None)])
    command = good_command()
    await producer.send_and_wait(fresh_topic, command.encode(), key=command.key())

    async def landed() -> bool:
        alive(consumer, pid)
        return await count_rows(db, [str(command.command_id)]) == 1

    await eventually(landed, 30, "the good command after the junk as a row")
    [letter] = await dead_letters(kafka_settings, fresh_topic, 1)
    assert letter.value == b"junk" and headers(letter)[REASON] == b"not_json"
    assert ("correlationId", None) in header_items(letter), "original headers travel, null included"
    assert (await ready(http, consumer)).status_code == 200
    alive(consumer, pid)


async def test_case2_a_record_too_large_for_the_dlq_goes_truncated(
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    db: asyncpg.Pool,
    services: list[ServiceProcess],
    producer: AIOKafkaProducer,
) -> None:
    huge = random.Random(SEED).randbytes(1_048_400)
    sent = await producer.send_and_wait(fresh_topic, huge, partition=0)
    command = good_command()
    await producer.send_and_wait(fresh_topic, command.encode(), key=command.key(), partition=0)
    consumer, pid = await start_consumer(fresh_topic, services)

    async def landed() -> bool:
        alive(consumer, pid)
        return await count_rows(db, [str(command.command_id)]) == 1

    await eventually(landed, 30, "the command behind the huge record as a row")
    [letter] = await dead_letters(kafka_settings, fresh_topic, 1)
    why = headers(letter)
    assert why[TRUNCATED] == b"true" and why[ORIGINAL_VALUE_BYTES] == b"1048400"
    assert why[PREFIX + "partition"] == b"0" and why[PREFIX + "offset"] == str(sent.offset).encode()
    assert (
        letter.value is not None and huge.startswith(letter.value) and len(letter.value) < 100_000
    )
    alive(consumer, pid)


async def test_case3_a_missing_dlq_stops_only_its_partition_loudly(
    kafka_settings: KafkaSettings,
    admin: AIOKafkaAdminClient,
    db: asyncpg.Pool,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
    producer: AIOKafkaProducer,
) -> None:
    topic = f"it.{uuid.uuid4().hex[:12]}"
    await admin.create_topics([NewTopic(topic, PARTITIONS, 1, topic_configs=KEEP_FOREVER)])
    await producer.send_and_wait(topic, b"{not json", partition=0)
    behind = good_command()
    await producer.send_and_wait(topic, behind.encode(), key=behind.key(), partition=0)
    others = [good_command() for _ in range(2)]
    for partition, command in enumerate(others, 1):
        await producer.send_and_wait(
            topic, command.encode(), key=command.key(), partition=partition
        )
    consumer, pid = await start_consumer(
        topic, services, DEAD_LETTER_TIMEOUT_MS="2000", RETRY_MAX_S="1"
    )

    async def others_landed() -> bool:
        return await count_rows(db, [str(c.command_id) for c in others]) == len(others)

    await eventually(others_landed, 30, "the other partitions' commands as rows")

    kafka = await eventually(
        lambda: _stopped(http, consumer), 30, "/ready 503 naming the stopped partition"
    )
    assert f"{topic}-0: dlq topic missing" in str(kafka["detail"])
    metrics = (await http.get(f"{consumer.url}/metrics")).text
    stopped = f'partition="{topic}-0",reason="dlq topic missing"'
    assert f"timestamp_consumer_partition_stopped{{{stopped}}} 1" in metrics
    assert await count_rows(db, [str(behind.command_id)]) == 0, "nothing passes the stuck record"
    errors = [line for line in consumer.log_lines() if "partition stopped" in line]
    assert len(errors) == 1, "one ERROR line a minute, not one per attempt"

    await admin.create_topics([NewTopic(dead_letter_topic(topic), PARTITIONS, 1)])

    async def resumed() -> bool:
        alive(consumer, pid)
        return await count_rows(db, [str(behind.command_id)]) == 1

    await eventually(resumed, 60, "the partition resumed once its DLQ exists")
    await dead_letters(kafka_settings, topic, 1)
    await eventually(lambda: _ready_ok(http, consumer), 10, "/ready 200 again")


async def test_a_conflict_the_dlq_cannot_take_holds_only_its_partition(
    producer: AIOKafkaProducer,
    admin: AIOKafkaAdminClient,
    services: list[ServiceProcess],
    http: httpx.AsyncClient,
    db: asyncpg.Pool,
    kafka_settings: KafkaSettings,
) -> None:
    """The conflict is known only after the write: its partition pauses, the others go on,
    and the group's committed offset stays before it until its dead letter is acknowledged."""
    topic = f"it.{uuid.uuid4().hex[:12]}"
    await admin.create_topics([NewTopic(topic, PARTITIONS, 1, topic_configs=KEEP_FOREVER)])
    first = good_command()
    await producer.send_and_wait(topic, first.encode(), key=first.key(), partition=0)
    other = first._replace(event_timestamp=first.event_timestamp + timedelta(days=1))
    conflict = await producer.send_and_wait(topic, other.encode(), key=first.key(), partition=0)
    consumer, pid = await start_consumer(
        topic, services, DEAD_LETTER_TIMEOUT_MS="2000", RETRY_MAX_S="1"
    )
    kafka = await eventually(lambda: _stopped(http, consumer), 30, "/ready 503 naming it")
    assert f"{topic}-0: dlq topic missing" in str(kafka["detail"])
    later = [good_command() for _ in range(PARTITIONS - 1)]
    for partition, command in enumerate(later, 1):  # sent after the conflict stopped p0
        await producer.send_and_wait(
            topic, command.encode(), key=command.key(), partition=partition
        )

    async def others_landed() -> bool:
        alive(consumer, pid)
        return await count_rows(db, [str(c.command_id) for c in later]) == len(later)

    await eventually(others_landed, 30, "the other partitions' commands as rows")
    committed = await admin.list_consumer_group_offsets(f"g-{topic}")
    p0 = committed.get(TopicPartition(topic, 0))
    assert p0 is None or p0.offset <= conflict.offset, "committed past the conflict"

    await admin.create_topics([NewTopic(dead_letter_topic(topic), PARTITIONS, 1)])
    [letter] = await dead_letters(kafka_settings, topic, 1)
    assert headers(letter)[REASON] == b"conflict" and letter.value == other.encode()

    async def committed_past() -> bool:
        offsets = await admin.list_consumer_group_offsets(f"g-{topic}")
        p0 = offsets.get(TopicPartition(topic, 0))
        return p0 is not None and p0.offset == conflict.offset + 1

    await eventually(committed_past, 30, "partition 0 committed past the conflict")
    await eventually(lambda: _ready_ok(http, consumer), 10, "/ready 200 again")
    row = await db.fetchval(f"SELECT event_timestamp FROM {TABLE} WHERE id = $1", first.command_id)
    assert row == first.event_timestamp, "the row keeps the first payload"
    alive(consumer, pid)


@pytest.mark.usefixtures("raw_header_names")
async def test_a_header_name_not_utf8_is_dead_lettered_not_fatal(
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    db: asyncpg.Pool,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
    producer: AIOKafkaProducer,
) -> None:
    """aiokafka's parser raises UnicodeDecodeError out of getmany() on such a name; the record
    is dead-lettered (even a valid command: its headers cannot be read) and the rest of its
    batch, before and after it, becomes rows."""
    consumer, pid = await start_consumer(fresh_topic, services, "/ready")
    goods = [good_command() for _ in range(6)]
    bad = good_command()
    name = RawHeaderName(b"\xff\xfetrace")
    futures = [await producer.send(fresh_topic, c.encode(), partition=0) for c in goods[:3]]
    sent_bad = await producer.send(
        fresh_topic, bad.encode(), partition=0, headers=[(name, b"x"), ("correlationId", b"c")]
    )
    futures += [await producer.send(fresh_topic, c.encode(), partition=0) for c in goods[3:]]
    others = [good_command() for _ in range(2)]
    for partition, command in enumerate(others, 1):
        futures.append(await producer.send(fresh_topic, command.encode(), partition=partition))
    for future in futures:
        await future
    where = await sent_bad

    async def landed() -> bool:
        alive(consumer, pid)
        wanted = [str(c.command_id) for c in goods + others]
        return await count_rows(db, wanted) == len(wanted)

    await eventually(landed, 30, "every good command, before and after the bad one, as rows")
    [letter] = await dead_letters(kafka_settings, fresh_topic, 1)
    why = headers(letter)
    assert why[REASON] == b"bad_headers" and letter.value == bad.encode()
    assert (
        why[PREFIX + "partition"] == b"0" and why[PREFIX + "offset"] == str(where.offset).encode()
    )
    assert ("\\xff\\xfetrace", b"x") in letter.headers, "the name, escaped, travels with it"
    assert await count_rows(db, [str(bad.command_id)]) == 0

    await eventually(lambda: _caught_up(http, consumer), 30, "consumer lag 0 everywhere")
    alive(consumer, pid)
    assert not [line for line in consumer.log_lines() if "crashed" in line]


async def _stopped(http: httpx.AsyncClient, consumer: ServiceProcess) -> dict[str, object] | None:
    response = await ready(http, consumer)
    kafka: dict[str, object] = response.json()["checks"]["kafka"]
    return kafka if response.status_code == 503 and "detail" in kafka else None


async def _ready_ok(http: httpx.AsyncClient, consumer: ServiceProcess) -> bool:
    return (await ready(http, consumer)).status_code == 200


async def _caught_up(http: httpx.AsyncClient, consumer: ServiceProcess) -> bool:
    kafka = (await ready(http, consumer)).json()["checks"]["kafka"]
    lag = kafka.get("lag", {})
    return bool(lag) and all(value == 0 for value in lag.values())


class Hostile:
    """A seeded generator of what a careless or hostile producer can put on the topic."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def key(self) -> bytes | None:
        r = self.rng
        return r.choice(
            [None, b"", r.randbytes(16), r.randbytes(r.randint(1, 10_000)), b"\xff\xfe"]
        )

    def headers(self) -> Headers:
        r = self.rng
        pool: list[tuple[str, bytes | None]] = [
            ("correlationId", None),
            ("correlationId", b"\xff\xfe\xfd"),
            ("correlationId", str(uuid.uuid4()).encode()),
            ("correlationId", b"not-a-uuid"),
            ("traceparent", r.randbytes(55)),
            ("x", r.randbytes(r.randint(0, 20_000))),
            ("", b""),
            ("\u00e9\u4e2d", None),
        ]
        return [r.choice(pool) for _ in range(r.choice([0, 0, 1, 2, 5]))]

    def undecodable_name(self) -> RawHeaderName:
        return RawHeaderName(self.rng.choice([b"\xff", b"\xc3(", b"a\x80b", b"\xed\xa0\x80"]))

    def value(self, good: TimestampCommand) -> tuple[bytes | None, str]:
        """A value and the reason the consumer should give it."""
        r, fields = self.rng, good.to_json()
        kinds: list[tuple[bytes | None, str]] = [
            (None, "not_json"),
            (b"", "not_json"),
            (r.randbytes(r.randint(1, 300)), "not_json"),
            (b"{not json", "not_json"),
            (b'"\xff\xfe"', "not_json"),
            (b"[]", "wrong_schema"),
            (b"null", "wrong_schema"),
            (b"12", "wrong_schema"),
            (orjson.dumps([fields]), "wrong_schema"),
            (orjson.dumps({**fields, "extra": 1}), "wrong_schema"),
            (orjson.dumps({"command_id": fields["command_id"]}), "wrong_schema"),
            (orjson.dumps({**fields, "accepted_at": 1}), "wrong_schema"),
            (orjson.dumps({**fields, "command_id": None}), "wrong_schema"),
            (orjson.dumps({**fields, "event_timestamp": {"a": 1}}), "wrong_schema"),
            (orjson.dumps({**fields, "command_id": "not-a-uuid"}), "bad_command_id"),
            (orjson.dumps({**fields, "command_id": "\u0000" * 40}), "bad_command_id"),
            (orjson.dumps({**fields, "command_id": "x" * 10_000}), "bad_command_id"),
            (orjson.dumps({**fields, "event_timestamp": "2009-13-01T00:00:00Z"}), "bad_timestamp"),
            (orjson.dumps({**fields, "accepted_at": "2009-01-01T00:00:00"}), "bad_timestamp"),
            (orjson.dumps({**fields, "event_timestamp": "9" * 5000}), "bad_timestamp"),
        ]
        if r.random() < 0.002:
            return b"{" + r.randbytes(1_048_000), "not_json"  # too large for the DLQ as is
        if r.random() < 0.01:
            return b"[" * 100_000, "not_json"  # deeper than any JSON parser goes
        return r.choice(kinds)


@pytest.mark.usefixtures("raw_header_names")
async def test_hostile_records_never_stop_the_write_path(
    kafka_settings: KafkaSettings,
    fresh_topic: str,
    db: asyncpg.Pool,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
    producer: AIOKafkaProducer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    consumer, pid = await start_consumer(fresh_topic, services, "/ready")
    started = time.monotonic()
    hostile = Hostile(SEED)
    rng = hostile.rng
    good: dict[str, TimestampCommand] = {}
    bad: dict[tuple[int, int], str] = {}  # (partition, offset) -> reason
    pending: list[tuple[asyncio.Future[RecordMetadata], str | None]] = []
    goods = list[TimestampCommand]()
    for i in range(2 * FOREIGN):
        if i % 2 == 0:
            command = good_command(datetime(2001, 2, 3, tzinfo=UTC) + timedelta(seconds=i))
            good[str(command.command_id)] = command
            goods.append(command)
            extra = hostile.headers() if rng.random() < 0.2 else []
            future = await producer.send(
                fresh_topic, command.encode(), command.key(), headers=extra
            )
            pending.append((future, None))
            if rng.random() < 0.05:  # a redelivery: the same payload again is a no-op
                await producer.send(fresh_topic, command.encode(), command.key())
        elif goods and rng.random() < 0.05:  # same id, other event_timestamp
            first = rng.choice(goods)
            other = first._replace(event_timestamp=first.event_timestamp + timedelta(days=1))
            future = await producer.send(fresh_topic, other.encode(), first.key())
            pending.append((future, "conflict"))
        else:
            value, reason = hostile.value(good_command())
            key = hostile.key()
            partition = rng.randrange(PARTITIONS)
            if value is not None and len(value) > 500_000:
                key, extra = None, []  # under the test producer's own limit
            else:
                extra = hostile.headers()
                if rng.random() < 0.03:  # whatever the value: its headers cannot be read
                    extra.insert(rng.randint(0, len(extra)), (hostile.undecodable_name(), b"v"))
                    reason = "bad_headers"
            if value is None and key is None:
                key = b"k"  # aiokafka sends nothing without one of the two
            future = await producer.send(
                fresh_topic, value, key, partition=partition, headers=extra
            )
            pending.append((future, reason))
    for delivery, expected in pending:
        sent = await delivery
        if expected is not None:
            bad[(sent.partition, sent.offset)] = expected

    async def all_rows() -> bool:
        alive(consumer, pid)
        return await count_rows(db, list(good)) == len(good)

    await eventually(all_rows, 300, f"{len(good)} good commands as rows", every=0.5)
    letters = await dead_letters(kafka_settings, fresh_topic, len(bad))
    where = Counter(
        (int(headers(r)[PREFIX + "partition"] or b""), int(headers(r)[PREFIX + "offset"] or b""))
        for r in letters
    )
    assert set(where) == set(bad) and max(where.values()) == 1, "each bad record exactly once"
    reasons = {
        (int(headers(r)[PREFIX + "partition"] or b""), int(headers(r)[PREFIX + "offset"] or b"")): (
            headers(r)[REASON] or b""
        ).decode()
        for r in letters
    }
    assert reasons == bad, "each with the reason it deserves"
    rows = await db.fetch(
        f"SELECT id::text, event_timestamp FROM {TABLE} WHERE id = ANY($1::uuid[])",
        list(good),
    )
    assert all(good[r["id"]].event_timestamp == r["event_timestamp"] for r in rows)

    await eventually(lambda: _caught_up(http, consumer), 60, "consumer lag 0 everywhere")
    alive(consumer, pid)
    crashed = [line for line in consumer.log_lines() if "crashed" in line]
    assert not crashed
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nforeign records: {len(good)} good applied, {len(bad)} bad dead-lettered "
            f"({dict(Counter(bad.values()))}), consumer restarts = 0, {elapsed:.1f} s"
        )
