"""shared/messages.py: the command message both sides use."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from shared.messages import (
    BadCommandId,
    BadTimestamp,
    NotJson,
    PoisonMessage,
    TimestampCommand,
    WrongSchema,
    decode_command,
)

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
