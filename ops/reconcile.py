"""Prove the table and the topic agree: counts, missing ids, rows the topic never had, and rows
whose timestamps differ. Topic ids stream into a temporary table, so memory stays bounded and
PostgreSQL does the set arithmetic (10M records ≈ 10M temp rows on disk, not in RAM).

On a live system the comparison is against a snapshot: the table as one REPEATABLE READ
transaction sees it, and the topic up to the end offsets taken before it. The consumer group's
committed offsets, read before the table's snapshot, split what the table lacks: below them
the consumer has applied (and committed) the record, so its absence is a real difference;
at or past them it is lag. A partition the group has no offset for is not being consumed by
it: there, what the table lacks is missing. A row whose record lies past the snapshot's end
offsets arrived while reconcile ran: counted as such, never as a row "not in the topic"."""

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from ops.topic_reader import TopicExtent, read_topic, topic_extent
from shared.db import Connection, connect
from shared.kafka import KafkaRecord, client_kwargs, dead_letter_topic
from shared.messages import PoisonMessage, decode_row
from shared.schema import TABLE
from shared.settings import DatabaseSettings, KafkaSettings

SAMPLE = 20
# Text, not timestamptz: asyncpg sends datetime.min/max as -infinity/infinity.
_SETUP = """
CREATE TEMP TABLE topic_commands (
    id uuid, event_timestamp text, accepted_at text, part int, pos bigint
) ON COMMIT DROP;
CREATE TEMP TABLE later_ids (id uuid) ON COMMIT DROP;
CREATE TEMP TABLE applied_up_to (part int, pos bigint) ON COMMIT DROP;
"""
_FIRST = """
CREATE TEMP TABLE first_commands ON COMMIT DROP AS
SELECT DISTINCT ON (id) id, event_timestamp::timestamptz AS event_timestamp,
       accepted_at::timestamptz AS accepted_at
FROM topic_commands ORDER BY id, part, pos
"""
_ABSENT = f"""
SELECT c.id, bool_or(a.pos IS NULL OR c.pos < a.pos) AS applied
FROM topic_commands c LEFT JOIN applied_up_to a USING (part)
WHERE NOT EXISTS (SELECT 1 FROM {TABLE} r WHERE r.id = c.id)
GROUP BY c.id
"""
_MISSING = f"SELECT id FROM ({_ABSENT}) a WHERE applied"
_LAG = f"SELECT id FROM ({_ABSENT}) a WHERE NOT applied"
_NOT_IN_SNAPSHOT = f"""
SELECT r.id FROM {TABLE} r WHERE NOT EXISTS (SELECT 1 FROM first_commands f WHERE f.id = r.id)
"""
_EXTRA = f"{_NOT_IN_SNAPSHOT} AND NOT EXISTS (SELECT 1 FROM later_ids l WHERE l.id = r.id)"
_LATER = f"{_NOT_IN_SNAPSHOT} AND EXISTS (SELECT 1 FROM later_ids l WHERE l.id = r.id)"
_DIFFERING = f"""
SELECT r.id FROM {TABLE} r JOIN first_commands f USING (id)
WHERE r.event_timestamp <> f.event_timestamp OR r.accepted_at <> f.accepted_at
"""
_COUNTS = (
    ("missing", _MISSING),
    ("lag", _LAG),
    ("extra", _EXTRA),
    ("arrived_later", _LATER),
    ("differing", _DIFFERING),
)


@dataclass
class Reconciliation:
    topic: str
    group: str = ""
    topic_records: int = 0
    commands: int = 0
    distinct_ids: int = 0
    poison: int = 0
    dead_letters: int = 0
    rows: int = 0
    missing: int = 0  # applied by the group (below its committed offsets), not in the table
    lag: int = 0  # not applied by the group yet: not a difference
    extra: int = 0  # in the table, in no record of the topic
    arrived_later: int = 0  # in the table, from a record past the snapshot: not a difference
    differing: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return (self.missing, self.extra, self.differing) == (0, 0, 0) and (
            self.poison <= self.dead_letters
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "agrees": self.agrees}


async def _applied_up_to(kafka: KafkaSettings, group: str, topic: str) -> list[tuple[int, int]]:
    """The group's committed offset per partition: every record below it is in the table.
    Partitions without one are left out (-1 is how Kafka says so)."""
    admin = AIOKafkaAdminClient(**client_kwargs(kafka, "ops"))
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return [
        (tp.partition, meta.offset)
        for tp, meta in committed.items()
        if tp.topic == topic and meta.offset >= 0
    ]


def _from_the_beginning(
    applied: list[tuple[int, int]], extent: TopicExtent
) -> list[tuple[int, int]]:
    """A group that committed on the topic reads a partition it never committed on from its
    beginning (auto_offset_reset=earliest): what it holds there is lag, not missing. A group with
    no commit on the topic at all is taken as applying nothing: its absent ids are missing."""
    if not applied:
        return applied
    committed = {partition for partition, _ in applied}
    return applied + [
        (tp.partition, start)
        for tp, start in extent.beginnings.items()
        if tp.partition not in committed
    ]


def _rows(
    records: Sequence[KafkaRecord], result: Reconciliation
) -> list[tuple[str, str, str, int, int]]:
    rows = []
    for record in records:
        try:
            command_id, event_timestamp, accepted_at = decode_row(record.value)
        except PoisonMessage:
            result.poison += 1
            continue
        texts = command_id.decode(), event_timestamp.decode(), accepted_at.decode()
        rows.append((*texts, record.partition, record.offset))
    return rows


async def _copy_ids(
    connection: Connection, batches: AsyncIterator[Sequence[KafkaRecord]], into: str
) -> None:
    async for records in batches:
        ids = []
        for record in records:
            try:
                ids.append((decode_row(record.value)[0].decode(),))
            except PoisonMessage:
                continue
        await connection.copy_records_to_table(into, records=ids)


def _tail(snapshot: TopicExtent, now: TopicExtent) -> TopicExtent:
    return TopicExtent(dict(snapshot.ends), {tp: now.ends[tp] for tp in snapshot.ends})


async def reconcile(
    kafka: KafkaSettings,
    database: DatabaseSettings,
    topic: str,
    group: str,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Reconciliation:
    result = Reconciliation(topic, group)
    extent = await topic_extent(kafka, topic)
    result.dead_letters = (await topic_extent(kafka, dead_letter_topic(topic))).size
    applied = _from_the_beginning(await _applied_up_to(kafka, group, topic), extent)
    connection = await connect(database, "timestamp-ops-reconcile")
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=False):
            await connection.execute(_SETUP)
            result.rows = await connection.fetchval(f"SELECT count(*) FROM {TABLE}")  # snapshot
            await connection.copy_records_to_table("applied_up_to", records=applied)
            async for records in read_topic(kafka, extent):
                rows = _rows(records, result)
                result.topic_records += len(records)
                result.commands += len(rows)
                await connection.copy_records_to_table("topic_commands", records=rows)
                progress(result.topic_records, extent.size)
            # Every row the snapshot holds has its record below the end offsets of now.
            tail = _tail(extent, await topic_extent(kafka, topic))
            await _copy_ids(connection, read_topic(kafka, tail), "later_ids")
            await connection.execute(_FIRST)
            result.distinct_ids = await connection.fetchval("SELECT count(*) FROM first_commands")
            for name, query in _COUNTS:
                count = await connection.fetchval(f"SELECT count(*) FROM ({query}) q")
                setattr(result, name, int(count))
                sample = await connection.fetch(f"{query} LIMIT {SAMPLE}")
                result.samples[name] = [str(row["id"]) for row in sample]
    finally:
        await connection.close()
    return result
