"""Strict RFC 3339 §5.6 `date-time` parsing and the one canonical UTC rendering."""

import re
from datetime import UTC, datetime, timedelta, timezone

MAX_LENGTH = 64
EXAMPLE = "2009-09-28T19:03:12Z"

_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))"
)


class InvalidTimestamp(ValueError):
    """The text is not an RFC 3339 date-time that we can store."""

    def __init__(self, text: str, reason: str) -> None:
        shown = text if len(text) <= MAX_LENGTH else text[:MAX_LENGTH] + "…"
        super().__init__(
            f"{shown!r} is not an RFC 3339 date-time ({reason}); expected e.g. {EXAMPLE}"
        )
        self.reason = reason


# The shape format_rfc3339 writes (UTC, `Z`, 0 or 1-6 fraction digits): every message on the
# topic has it, so it gets a fast path through the C parser. Anything else takes the full one.
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 date-time into an aware UTC datetime, fractions cut to microseconds."""
    if _CANONICAL.fullmatch(text) is not None and text[17:19] != "60":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # out of range: the full parser says which field
    return _parse_any(text)


def _parse_any(text: str) -> datetime:
    if not text:
        raise InvalidTimestamp(text, "empty")
    if len(text) > MAX_LENGTH:
        raise InvalidTimestamp(text, f"longer than {MAX_LENGTH} characters")
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise InvalidTimestamp(text, "expected YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)")
    fields = match.groupdict()
    if fields["second"] == "60":
        raise InvalidTimestamp(text, "leap seconds (:60) are not supported")
    offset = _offset(text, fields)
    fraction = (fields["fraction"] or "").ljust(6, "0")[:6]
    try:
        local = datetime(
            int(fields["year"]),
            int(fields["month"]),
            int(fields["day"]),
            int(fields["hour"]),
            int(fields["minute"]),
            int(fields["second"]),
            int(fraction),
            tzinfo=offset,
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise InvalidTimestamp(text, f"out of range: {error}") from None


def _offset(text: str, fields: dict[str, str | None]) -> timezone:
    if fields["sign"] is None:
        return UTC
    hours, minutes = int(fields["off_hour"] or 0), int(fields["off_minute"] or 0)
    if hours > 23 or minutes > 59:
        raise InvalidTimestamp(text, "offset out of range (-23:59..+23:59)")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if fields["sign"] == "-" else delta)


def format_rfc3339(moment: datetime) -> str:
    """Render as UTC with `Z`, fractional seconds only when non-zero (trailing zeros cut)."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    text = utc.isoformat()[:-6]  # YYYY-MM-DDTHH:MM:SS[.ffffff] without "+00:00", in C
    return (text.rstrip("0") if utc.microsecond else text) + "Z"
