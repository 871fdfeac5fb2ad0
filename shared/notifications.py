"""The NOTIFY contract between the consumer (sender) and the query service (listener).

One notification per committed batch on CHANNEL. Its payload lists the new ids as 32-hex
strings joined by commas while that fits PostgreSQL's 8,000-byte limit; a larger batch sends
EVERYTHING instead, and the listener re-checks all its waiters in one query.
"""

from uuid import UUID

CHANNEL = "timestamp_records"
EVERYTHING = "*"
MAX_IDS = 240  # 240 × 33 bytes = 7,920 < 8,000


def sql_notify_new_rows(inserted: str) -> str:
    """SQL that notifies the ids in CTE `inserted` (column `id`) and returns their count."""
    return f"""
    SELECT count(*) AS inserted,
           CASE WHEN count(*) = 0 THEN NULL
                WHEN count(*) <= {MAX_IDS} THEN
                    pg_notify('{CHANNEL}', string_agg(replace(id::text, '-', ''), ','))
                ELSE pg_notify('{CHANNEL}', '{EVERYTHING}')
           END
    FROM {inserted}
    """


def decode_payload(payload: str) -> set[UUID] | None:
    """The ids a notification names, or None when it means 'anything may have arrived'."""
    if payload == EVERYTHING:
        return None
    return {UUID(hex=part) for part in payload.split(",") if part}
