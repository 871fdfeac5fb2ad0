"""The NOTIFY contract between the consumer (sender) and the query service (listener).

One notification per committed batch on CHANNEL. Up to MAX_RECORDS new rows, its payload is
their JSON documents (shared/record_json.py) one per line, so a waiting GET is answered from
the notification itself; a larger batch sends EVERYTHING instead, and the listener re-reads
all its waiters in one query. Either way it fits PostgreSQL's 8,000-byte payload limit.
"""

from uuid import UUID

from shared.ids import parse_uuid
from shared.record_json import LONGEST, RECORD_JSON, record_id_text

CHANNEL = "timestamp_records"
EVERYTHING = "*"
MAX_RECORDS = 32
assert MAX_RECORDS * (LONGEST + 1) < 8000


def sql_notify_new_rows(inserted: str) -> str:
    """SQL that announces the rows of CTE `inserted` (the table's columns) and returns their
    count. The documents are only rendered when they are sent."""
    return f"""
    SELECT count(*) AS inserted,
           CASE WHEN count(*) = 0 THEN NULL
                WHEN count(*) <= {MAX_RECORDS} THEN pg_notify(
                    '{CHANNEL}', (SELECT string_agg({RECORD_JSON}, E'\\n') FROM {inserted}))
                ELSE pg_notify('{CHANNEL}', '{EVERYTHING}')
           END
    FROM {inserted}
    """


def decode_payload(payload: str) -> dict[UUID, str] | None:
    """The documents a notification carries by id, or None for 'anything may have arrived'."""
    if payload == EVERYTHING:
        return None
    return {parse_uuid(record_id_text(line)): line for line in payload.split("\n") if line}
