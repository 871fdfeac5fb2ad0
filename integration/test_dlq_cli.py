"""`timestamp-ops dlq list | show | redrive` against real Kafka and PostgreSQL."""

import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from command_service.publisher import partition_of
from consumer_service.dead_letters import PREFIX, REASON
from harness.db import count_rows
from harness.kafka import topic_records
from harness.processes import ops
from harness.stack import Stack
from harness.waiting import eventually
from ops.redrive import REDRIVEN_FROM
from shared.kafka import client_kwargs, dead_letter_topic
from shared.messages import TimestampCommand
from shared.schema import TABLE
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


async def _produce(
    settings: KafkaSettings, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    producer = AIOKafkaProducer(**client_kwargs(settings, "tests"), acks="all")
    await producer.start()
    try:
        await (await producer.send(topic, key=key, value=value, headers=headers))
    finally:
        await producer.stop()


def _listed(topic: str, *args: str) -> list[dict[str, object]]:
    done = ops("dlq", "list", "--topic", topic, "--json", *args)
    assert done.returncode == 0, done.stderr
    return [orjson.loads(line) for line in done.stdout.splitlines()]


async def test_dead_letters_are_listed_shown_and_redriven_once(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings, http: httpx.AsyncClient
) -> None:
    topic, dlq = stack.topic, dead_letter_topic(stack.topic)
    # A record that never decodes, dead-lettered by the consumer.
    await _produce(kafka_settings, topic, b"poison", b"\x00\xffnot json", [])
    # A key reused for another timestamp: the second command is a conflict.
    headers = {"Idempotency-Key": f"it-{uuid.uuid4()}"}
    for moment in ("2001-01-01T00:00:00Z", "2002-02-02T00:00:00Z"):
        answer = await http.post(f"{stack.command.url}/api/v1/timestamp/{moment}", headers=headers)
        assert answer.status_code == 200
    # A command dead-lettered by an older consumer's bug: it decodes now.
    fixed = TimestampCommand(uuid.uuid4(), datetime(2003, 3, 3, tzinfo=UTC), datetime.now(UTC))
    why = [(PREFIX + "topic", topic.encode()), (PREFIX + "partition", b"0")]
    why += [(PREFIX + "offset", b"99"), (REASON, b"internal_error")]
    await _produce(
        kafka_settings, dlq, fixed.key(), fixed.encode(), [("correlationId", b"c-1"), *why]
    )

    async def three() -> list[dict[str, object]] | None:
        listed = _listed(topic)
        return listed if len(listed) == 3 else None

    listed = await eventually(three, 60, "three dead letters", every=0.5)
    assert sorted(str(item["reason"]) for item in listed) == [
        "conflict",
        "internal_error",
        "not_json",
    ]
    assert [item["reason"] for item in _listed(topic, "--reason", "conflict")] == ["conflict"]
    assert _listed(topic, "--since", "2999-01-01T00:00:00Z") == []
    table = ops("dlq", "list", "--topic", topic)
    assert table.returncode == 0 and "not_json" in table.stdout and f"{topic}/" in table.stdout

    (poison,) = [item for item in listed if item["reason"] == "not_json"]
    shown = ops("dlq", "show", str(poison["position"]), "--topic", topic)
    assert shown.returncode == 0, shown.stderr
    assert "dlq.reason: not_json" in shown.stdout
    assert "value: hex: 00 ff 6e 6f 74" in shown.stdout

    size = len(await topic_records(kafka_settings, topic))
    dry = ops("dlq", "redrive", "--dry-run", "--topic", topic)
    assert dry.returncode == 1, dry.stderr
    assert "would redrive 1, already applied 0, still poison 2 (conflict 1, not_json 1)" in (
        dry.stdout
    )
    assert len(await topic_records(kafka_settings, topic)) == size

    first = ops("dlq", "redrive", "--topic", topic)
    assert first.returncode == 1, first.stderr
    assert "redriven 1, already applied 0, still poison 2" in first.stdout

    async def applied() -> bool:
        row: datetime | None = await db.fetchval(
            f"SELECT event_timestamp FROM {TABLE} WHERE id = $1", fixed.command_id
        )
        return row == fixed.event_timestamp

    await eventually(applied, 60, "the redriven command as a row")
    after = await topic_records(kafka_settings, topic)
    redriven = [r for r in after if REDRIVEN_FROM in dict(r.headers)]
    assert len(after) == size + 1 and len(redriven) == 1
    record = redriven[0]
    assert record.key == fixed.key() and record.value == fixed.encode()
    record_headers = dict(record.headers)
    position = [item["position"] for item in listed if item["reason"] == "internal_error"][0]
    assert record_headers[REDRIVEN_FROM] == f"{dlq}:{position}".encode()
    assert record_headers["correlationId"] == b"c-1" and REASON not in record_headers
    assert record.partition == partition_of(fixed.key(), [0, 1, 2])

    rows = await count_rows(db)
    second = ops("dlq", "redrive", "--topic", topic)
    assert "redriven 0, already applied 1, still poison 2" in second.stdout
    assert len(await topic_records(kafka_settings, topic)) == size + 1
    assert await count_rows(db) == rows
    assert len(_listed(topic)) == 3
    only_fixed = ops("dlq", "redrive", "--reason", "internal_error", "--topic", topic)
    assert only_fixed.returncode == 0, only_fixed.stdout


def test_show_names_what_is_wrong_with_its_argument() -> None:
    done = ops("dlq", "show", "x:1")
    assert done.returncode == 2 and "PARTITION:OFFSET" in done.stderr
