"""Prove the table and the topic agree: counts, missing ids, rows the topic never had, and rows
whose timestamps differ. Topic ids stream into a temporary table, so memory stays bounded and
PostgreSQL does the set arithmetic (10M records ≈ 10M temp rows on disk, not in RAM)."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ops.topic_reader import read_topic, topic_extent
from shared.db import connect
from shared.kafka import dead_letter_topic
from shared.messages import PoisonMessage, decode_command
from shared.schema import TABLE
from shared.settings import DatabaseSettings, KafkaSettings

SAMPLE = 20
_SETUP = """
CREATE TEMP TABLE topic_commands (
    id uuid, event_timestamp timestamptz, accepted_at timestamptz, part int, pos bigint
) ON COMMIT DROP
"""
_FIRST = """
CREATE TEMP TABLE first_commands ON COMMIT DROP AS
SELECT DISTINCT ON (id) id, event_timestamp, accepted_at FROM topic_commands
ORDER BY id, part, pos
"""
_MISSING = f"""
SELECT f.id FROM first_commands f WHERE NOT EXISTS (SELECT 1 FROM {TABLE} r WHERE r.id = f.id)
"""
_EXTRA = f"""
SELECT r.id FROM {TABLE} r WHERE NOT EXISTS (SELECT 1 FROM first_commands f WHERE f.id = r.id)
"""
_DIFFERING = f"""
SELECT r.id FROM {TABLE} r JOIN first_commands f USING (id)
WHERE r.event_timestamp <> f.event_timestamp OR r.accepted_at <> f.accepted_at
"""


@dataclass
class Reconciliation:
    topic: str
    topic_records: int = 0
    commands: int = 0
    distinct_ids: int = 0
    poison: int = 0
    dead_letters: int = 0
    rows: int = 0
    missing: int = 0
    extra: int = 0
    differing: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return (self.missing, self.extra, self.differing) == (0, 0, 0) and (
            self.poison <= self.dead_letters
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "agrees": self.agrees}


async def reconcile(
    kafka: KafkaSettings,
    database: DatabaseSettings,
    topic: str,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Reconciliation:
    result = Reconciliation(topic)
    extent = await topic_extent(kafka, topic)
    result.dead_letters = (await topic_extent(kafka, dead_letter_topic(topic))).size
    connection = await connect(database, "timestamp-ops-reconcile")
    try:
        async with connection.transaction():
            await connection.execute(_SETUP)
            async for records in read_topic(kafka, extent):
                rows = []
                for record in records:
                    try:
                        command = decode_command(record.value)
                    except PoisonMessage:
                        result.poison += 1
                        continue
                    rows.append(
                        (
                            command.command_id,
                            command.event_timestamp,
                            command.accepted_at,
                            record.partition,
                            record.offset,
                        )
                    )
                result.topic_records += len(records)
                result.commands += len(rows)
                await connection.copy_records_to_table("topic_commands", records=rows)
                progress(result.topic_records, extent.size)
            await connection.execute(_FIRST)
            result.distinct_ids = await connection.fetchval("SELECT count(*) FROM first_commands")
            result.rows = await connection.fetchval(f"SELECT count(*) FROM {TABLE}")
            for name, query in (
                ("missing", _MISSING),
                ("extra", _EXTRA),
                ("differing", _DIFFERING),
            ):
                count = await connection.fetchval(f"SELECT count(*) FROM ({query}) q")
                setattr(result, name, int(count))
                sample = await connection.fetch(f"{query} LIMIT {SAMPLE}")
                result.samples[name] = [str(row["id"]) for row in sample]
    finally:
        await connection.close()
    return result
