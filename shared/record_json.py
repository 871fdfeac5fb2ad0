"""A read-model row as the JSON document the query service answers with, rendered in SQL.

PostgreSQL renders it (it has a core to spare while a service's one event loop is the
bottleneck), for a GET and for the NOTIFY that answers a waiting GET alike. Every value is a
string (the original's Go client decodes into map[string]string) and none needs escaping."""

MIN_TEXT, MAX_TEXT = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"
LONGEST = 232  # bytes: two UUIDs and three timestamps with six fraction digits


def _rfc3339(column: str) -> str:
    """SQL rendering `column` exactly as shared.timestamps.format_rfc3339 does: UTC, `Z`,
    the fraction only when non-zero and without trailing zeros. ±infinity (what asyncpg
    writes for datetime.min/max bound as datetimes) is shown as those."""
    text = f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
    return f"""CASE WHEN isfinite({column}) THEN rtrim(rtrim({text}, '0'), '.') || 'Z'
        WHEN {column} < 'epoch' THEN '{MIN_TEXT}' ELSE '{MAX_TEXT}' END"""


# Over columns id, event_timestamp, accepted_at, created_at.
RECORD_JSON = f"""'{{"id":"' || id || '","command_id":"' || id
    || '","event_timestamp":"' || {_rfc3339("event_timestamp")}
    || '","accepted_at":"' || {_rfc3339("accepted_at")}
    || '","created_at":"' || {_rfc3339("created_at")} || '"}}'"""


def record_id_text(document: str) -> str:
    """The id of a rendered document, which starts `{"id":"<36 characters>"`."""
    return document[7:43]
