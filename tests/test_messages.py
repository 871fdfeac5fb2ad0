"""shared/messages.py: the command message both sides use."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.messages import (
    BadCommandId,
    BadTimestamp,
    NotJson,
    PoisonMessage,
    Row,
    TimestampCommand,
    WrongSchema,
    decode_command,
    decode_row,
)
from shared.timestamps import format_rfc3339

COMMAND = TimestampCommand(
    uuid.UUID("52f2665d-c087-42e5-a571-89061021a37c"),
    datetime(2009, 9, 28, 19, 3, 12, tzinfo=UTC),
    datetime(2026, 11, 25, 20, 0, 0, 250000, tzinfo=UTC),
)


def test_encode_matches_the_spec_wire_format() -> None:
    assert orjson.loads(COMMAND.encode()) == {
        "command_id": "52f2665d-c087-42e5-a571-89061021a37c",
        "event_timestamp": "2009-09-28T19:03:12Z",
        "accepted_at": "2026-11-25T20:00:00.25Z",
    }
    assert COMMAND.key() == b"52f2665d-c087-42e5-a571-89061021a37c"


def test_decode_inverts_encode() -> None:
    assert decode_command(COMMAND.encode()) == COMMAND


def _value(**fields: object) -> bytes:
    return orjson.dumps({**COMMAND.to_json(), **fields})


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, NotJson),
        (b"", NotJson),
        (b"not json", NotJson),
        (b"\xff\xfe", NotJson),
        (b"[]", WrongSchema),
        (b'"text"', WrongSchema),
        (orjson.dumps({"command_id": "x"}), WrongSchema),
        (_value(extra="1"), WrongSchema),
        (_value(event_timestamp=12), WrongSchema),
        (_value(command_id=None), WrongSchema),
        (_value(command_id="not-a-uuid"), BadCommandId),
        (_value(command_id="' OR 1=1 --"), BadCommandId),
        (_value(event_timestamp="2009-13-01T00:00:00Z"), BadTimestamp),
        (_value(event_timestamp="2009-09-28T19:03:12"), BadTimestamp),
        (_value(accepted_at="yesterday"), BadTimestamp),
    ],
)
def test_poison_is_classified(value: bytes | None, kind: type[PoisonMessage]) -> None:
    with pytest.raises(kind):
        decode_command(value)


def _canonical(command: TimestampCommand) -> Row:
    return (
        str(command.command_id).encode(),
        format_rfc3339(command.event_timestamp).encode(),
        format_rfc3339(command.accepted_at).encode(),
    )


moments = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
)


@given(st.uuids(), moments, moments)
def test_decode_row_is_decode_command_rendered_canonically(
    command_id: uuid.UUID, event: datetime, accepted: datetime
) -> None:
    command = TimestampCommand(command_id, event, accepted)
    assert decode_row(command.encode()) == _canonical(command)


@pytest.mark.parametrize(
    "value",
    [
        # not as our producers write it: decoded in full, answered canonically
        b'{"accepted_at":"2026-11-25T20:00:00.25Z","event_timestamp":"2009-09-28T19:03:12Z",'
        b'"command_id":"52F2665D-C087-42E5-A571-89061021A37C"}',
        _value(event_timestamp="2009-09-28T21:03:12+02:00"),
        _value(event_timestamp="2009-09-28T19:03:12.2500000Z"),
        b" " + COMMAND.encode(),
        # the ends of months
        _value(event_timestamp="2008-02-29T00:00:00Z"),
        _value(accepted_at="2026-01-31T23:59:59.999999Z"),
    ],
)
def test_decode_row_agrees_with_decode_command(value: bytes) -> None:
    assert decode_row(value) == _canonical(decode_command(value))


@pytest.mark.parametrize(
    "year", ["0001", "0004", "0100", "0400", "1900", "2000", "2023", "2024", "9999"]
)
def test_decode_row_knows_the_calendar_as_decode_command_does(year: str) -> None:
    """Every month's days 01-31 of leap, common and century years: the same row or the same
    refusal."""
    for month in range(1, 13):
        for day in range(1, 32):
            value = _value(event_timestamp=f"{year}-{month:02}-{day:02}T12:00:00Z")
            try:
                expected = _canonical(decode_command(value))
            except BadTimestamp:
                with pytest.raises(BadTimestamp):
                    decode_row(value)
            else:
                assert decode_row(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        _value(event_timestamp="2009-02-29T19:03:12Z"),  # not a leap year
        _value(event_timestamp="1900-02-29T19:03:12Z"),  # a century not divisible by 400
        _value(event_timestamp="2009-04-31T19:03:12Z"),
        _value(event_timestamp="0000-01-01T00:00:00Z"),
        _value(event_timestamp="2009-09-28T19:03:60Z"),  # leap second
        _value(event_timestamp="2009-09-28T24:00:00Z"),
        _value(accepted_at="2009-00-10T00:00:00Z"),
        _value(command_id="52f2665d-c087-42e5-a571-89061021a37"),
        b"not json",
        None,
    ],
)
def test_decode_row_refuses_what_decode_command_refuses(value: bytes | None) -> None:
    with pytest.raises(PoisonMessage):
        decode_command(value)
    with pytest.raises(PoisonMessage):
        decode_row(value)
