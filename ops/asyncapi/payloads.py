"""The payload schemas: the command, derived from `shared.messages.TimestampCommand` (its fields,
in order, each typed by pydantic's JSON schema of its annotation), and the dead letter's value."""

import typing
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from shared.messages import TimestampCommand

_TYPE_NOTES: dict[type, str] = {
    UUID: "UUID in canonical lower-case 8-4-4-4-12 form.",
    datetime: (
        "RFC 3339 date-time, always in UTC with `Z`, fractional seconds only when non-zero "
        "(trailing zeros cut), microsecond precision (PostgreSQL's): e.g. "
        "`2009-09-28T19:03:12Z`, `2026-11-25T20:00:00.25Z`."
    ),
}
_FIELD_NOTES = {
    "command_id": "The command's id: the ticket the client got back, and the record key.",
    "event_timestamp": "When the event happened, as submitted to the command service.",
    "accepted_at": "When the command service accepted the command.",
}


def _field_schema(name: str, kind: object) -> dict[str, Any]:
    if not isinstance(kind, type) or kind not in _TYPE_NOTES:
        raise TypeError(f"TimestampCommand.{name}: describe {kind!r} in _TYPE_NOTES")
    if name not in _FIELD_NOTES:
        raise KeyError(f"TimestampCommand.{name}: describe it in _FIELD_NOTES")
    schema: dict[str, Any] = TypeAdapter(kind).json_schema()
    return {**schema, "description": f"{_FIELD_NOTES[name]} {_TYPE_NOTES[kind]}"}


def command_schema() -> dict[str, Any]:
    """The record value: one JSON object, every field of `TimestampCommand` as a string."""
    hints = typing.get_type_hints(TimestampCommand)
    names = list(TimestampCommand._fields)
    return {
        "title": TimestampCommand.__name__,
        "description": (
            f"{TimestampCommand.__doc__} Producers write exactly this form; the consumer also "
            "accepts any RFC 3339 date-time (an offset is converted to UTC)."
        ),
        "type": "object",
        "properties": {name: _field_schema(name, hints[name]) for name in names},
        "required": names,
        "additionalProperties": False,
    }


def dead_letter_value_schema() -> dict[str, str]:
    return {
        "description": (
            "The original record value, byte for byte: whatever failed to decode "
            "(usually a JSON document; may be any bytes, or absent for a tombstone)."
        )
    }
