"""Re-drive dead letters that now decode back to the command topic.

Each dead letter is sorted before anything is sent: `poison` (a truncated copy, or a value
that still does not decode), `conflict` (its id is a row with another event timestamp),
`applied` (its id is a row with the same event timestamp: nothing to do) or `redrive`. Only
the last are published, with the original key (so to the same partition) and headers plus
`dlq.redriven.from`. A second redrive finds them applied: it publishes nothing."""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from aiokafka import AIOKafkaProducer

from ops.dead_letter_records import DeadLetter
from shared.db import connect
from shared.kafka import KafkaRecord, client_kwargs
from shared.messages import PoisonMessage, TimestampCommand, decode_command
from shared.schema import TABLE
from shared.settings import DatabaseSettings, KafkaSettings

REDRIVEN_FROM = "dlq.redriven.from"


def redriven_from(record: KafkaRecord) -> bytes:
    """The `dlq.redriven.from` value of a dead letter: `<dlq topic>:<partition>:<offset>`."""
    return f"{record.topic}:{record.partition}:{record.offset}".encode()


@dataclass
class RedrivePlan:
    redrive: list[tuple[DeadLetter, TimestampCommand]] = field(default_factory=list)
    applied: list[DeadLetter] = field(default_factory=list)
    poison: list[tuple[DeadLetter, str]] = field(default_factory=list)  # and why

    def poison_by_reason(self) -> Counter[str]:
        return Counter(why for _, why in self.poison)


def _decoded(letter: DeadLetter) -> TimestampCommand | str:
    """The command, or why it is still poison."""
    if letter.truncated:
        return "truncated"
    try:
        return decode_command(letter.record.value)
    except PoisonMessage as error:
        return error.reason


async def plan_redrive(settings: DatabaseSettings, letters: Sequence[DeadLetter]) -> RedrivePlan:
    plan = RedrivePlan()
    decoded: list[tuple[DeadLetter, TimestampCommand]] = []
    for letter in letters:
        outcome = _decoded(letter)
        if isinstance(outcome, str):
            plan.poison.append((letter, outcome))
        else:
            decoded.append((letter, outcome))
    stored = await _stored(settings, [command.command_id for _, command in decoded])
    planned: dict[UUID, datetime] = {}
    for letter, command in decoded:
        known = stored.get(command.command_id, planned.get(command.command_id))
        if known is None:
            planned[command.command_id] = command.event_timestamp
            plan.redrive.append((letter, command))
        elif known == command.event_timestamp:  # a row, or redriven earlier in this run
            plan.applied.append(letter)
        else:
            plan.poison.append((letter, "conflict"))
    return plan


async def _stored(settings: DatabaseSettings, ids: list[UUID]) -> dict[UUID, datetime]:
    """The event timestamp of each of `ids` that is a row."""
    if not ids:
        return {}
    connection = await connect(settings, "timestamp-ops-redrive")
    try:
        rows = await connection.fetch(
            f"SELECT id, event_timestamp FROM {TABLE} WHERE id = ANY($1::uuid[])", ids
        )
    finally:
        await connection.close()
    return {row["id"]: row["event_timestamp"] for row in rows}


async def redrive(
    settings: KafkaSettings,
    topic: str,
    letters: Sequence[tuple[DeadLetter, TimestampCommand]],
    progress: Callable[[int], None],
) -> None:
    """Publish each letter's record to `topic` (acks=all, idempotent) and await every ack."""
    producer = AIOKafkaProducer(
        **client_kwargs(settings, "ops-redrive"), acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        deliveries = []
        for letter, _ in letters:
            record = letter.record
            headers = [*letter.original_headers(), (REDRIVEN_FROM, redriven_from(record))]
            deliveries.append(
                await producer.send(topic, key=record.key, value=record.value, headers=headers)
            )
        for done, delivery in enumerate(deliveries, 1):
            await delivery
            progress(done)
    finally:
        await producer.stop()
