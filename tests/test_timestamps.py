"""shared/timestamps.py: the strict RFC 3339 parser and the canonical rendering."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.timestamps import MAX_LENGTH, InvalidTimestamp, format_rfc3339, parse_rfc3339

VALID = [
    ("2009-09-28T19:03:12Z", "2009-09-28T19:03:12Z"),
    ("2006-01-02T15:04:05Z", "2006-01-02T15:04:05Z"),
    ("2009-09-28t19:03:12z", "2009-09-28T19:03:12Z"),
    ("2009-09-28T19:03:12z", "2009-09-28T19:03:12Z"),
    ("2009-09-28t19:03:12Z", "2009-09-28T19:03:12Z"),
    ("2009-09-28T21:03:12+02:00", "2009-09-28T19:03:12Z"),
    ("2009-09-28T14:03:12-05:00", "2009-09-28T19:03:12Z"),
    ("2009-09-28T19:03:12+00:00", "2009-09-28T19:03:12Z"),
    ("2009-09-28T19:03:12-00:00", "2009-09-28T19:03:12Z"),
    ("2009-09-28T19:03:12+23:59", "2009-09-27T19:04:12Z"),
    ("2009-09-28T19:03:12-23:59", "2009-09-29T19:02:12Z"),
    ("2009-09-28T19:03:12.5Z", "2009-09-28T19:03:12.5Z"),
    ("2009-09-28T19:03:12.50Z", "2009-09-28T19:03:12.5Z"),
    ("2009-09-28T19:03:12.000Z", "2009-09-28T19:03:12Z"),
    ("2009-09-28T19:03:12.123456Z", "2009-09-28T19:03:12.123456Z"),
    ("2009-09-28T19:03:12.123456789Z", "2009-09-28T19:03:12.123456Z"),
    ("2009-09-28T19:03:12.0000009Z", "2009-09-28T19:03:12Z"),
    ("2009-09-28T19:03:12.1+05:30", "2009-09-28T13:33:12.1Z"),
    ("2016-02-29T00:00:00Z", "2016-02-29T00:00:00Z"),
    ("2000-02-29T23:59:59Z", "2000-02-29T23:59:59Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ("2009-12-31T23:30:00-01:00", "2010-01-01T00:30:00Z"),
]

INVALID = [
    ("", "empty"),
    ("2009-09-28T19:03:12", "naive: no offset"),
    ("2009-09-28 19:03:12Z", "space instead of T"),
    ("2009-09-28", "date only"),
    ("19:03:12Z", "time only"),
    ("20090928T190312Z", "ISO 8601 basic format"),
    ("2009-271T19:03:12Z", "ordinal date"),
    ("2009-W40-1T19:03:12Z", "week date"),
    ("2009-13-28T19:03:12Z", "month 13"),
    ("2009-00-28T19:03:12Z", "month 0"),
    ("2009-09-31T19:03:12Z", "September 31"),
    ("2009-02-29T19:03:12Z", "February 29 in a common year"),
    ("1900-02-29T19:03:12Z", "February 29 in a century year"),
    ("2009-09-00T19:03:12Z", "day 0"),
    ("2009-09-28T24:00:00Z", "hour 24"),
    ("2009-09-28T19:60:12Z", "minute 60"),
    ("2016-12-31T23:59:60Z", "leap second"),
    ("2009-09-28T19:03:61Z", "second 61"),
    ("2009-09-28T19:03:12+24:00", "offset +24:00"),
    ("2009-09-28T19:03:12+05:60", "offset minute 60"),
    ("2009-09-28T19:03:12+0200", "offset without colon"),
    ("2009-09-28T19:03:12+02", "offset hours only"),
    ("2009-09-28T19:03:12.Z", "empty fraction"),
    ("2009-09-28T19:03:12,5Z", "comma fraction"),
    ("2009-09-28T19:03:12Zjunk", "trailing garbage"),
    ("2009-09-28T19:03:12Z ", "trailing space"),
    (" 2009-09-28T19:03:12Z", "leading space"),
    ("2009-09-28T19:03:12ZZ", "double zone"),
    ("2009-9-28T19:03:12Z", "one-digit month"),
    ("09-09-28T19:03:12Z", "two-digit year"),
    ("+2009-09-28T19:03:12Z", "signed year"),
    ("0000-01-01T00:00:00Z", "year zero"),
    ("0001-01-01T00:00:00+01:00", "before year 1 in UTC"),
    ("9999-12-31T23:59:59-01:00", "after year 9999 in UTC"),
    ("２００９-09-28T19:03:12Z", "non-ASCII digits"),
    ("2009-09-28T19:03:12." + "1" * MAX_LENGTH + "Z", "over-long"),
    ("x" * 10_000, "very long"),
    ("now", "word"),
    ("1254164592", "epoch seconds"),
    ("2009-09-28T19:03:12 +02:00", "space before offset"),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_inputs_parse_to_utc(text: str, expected: str) -> None:
    parsed = parse_rfc3339(text)
    assert parsed.tzinfo is UTC
    assert format_rfc3339(parsed) == expected


@pytest.mark.parametrize(("text", "why"), INVALID, ids=[why for _, why in INVALID])
def test_invalid_inputs_are_rejected_with_an_example(text: str, why: str) -> None:
    with pytest.raises(InvalidTimestamp) as caught:
        parse_rfc3339(text)
    message = str(caught.value)
    assert "2009-09-28T19:03:12Z" in message
    assert len(message) < 300, "the message must not echo unbounded input"


def test_the_table_is_large_enough() -> None:
    assert len(VALID) + len(INVALID) >= 40


def test_format_cuts_trailing_zeros_of_the_fraction() -> None:
    moment = datetime(2020, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)
    assert format_rfc3339(moment) == "2020-01-02T03:04:05.12Z"


def test_format_converts_to_utc() -> None:
    moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-3)))
    assert format_rfc3339(moment) == "2020-01-02T06:04:05Z"


moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)


@given(moments)
def test_format_then_parse_round_trips(moment: datetime) -> None:
    assert parse_rfc3339(format_rfc3339(moment)) == moment


@given(moments, offsets)
def test_any_offset_parses_to_the_same_instant(moment: datetime, minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    sign = "-" if minutes < 0 else "+"
    clock = local.isoformat(timespec="microseconds")[:-6]  # drop isoformat's own offset
    text = f"{clock}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    assert parse_rfc3339(text) == moment
