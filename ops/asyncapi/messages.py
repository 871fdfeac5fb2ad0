"""The two messages: a command on the command topic, and its dead letter."""

from typing import Any

from ops.asyncapi.bindings import key_binding
from ops.asyncapi.examples import (
    EXAMPLE_COMMAND,
    EXAMPLE_CORRELATION_ID,
    EXAMPLE_POISON_VALUE,
    example_dead_letter_headers,
)
from ops.redrive import REDRIVEN_FROM
from shared.correlation import KAFKA_HEADER
from shared.messages import PoisonMessage, TimestampCommand


def _schema(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _correlation_id(description: str) -> dict[str, str]:
    return {"description": description, "location": f"$message.header#/{KAFKA_HEADER}"}


def command_message() -> dict[str, Any]:
    return {
        "name": TimestampCommand.__name__,
        "title": "Timestamp command",
        "summary": TimestampCommand.__doc__,
        "description": (
            "The one schema both sides use lives in `shared/messages.py`. "
            "Keyed by the command id, so every copy of one command lands on one partition."
        ),
        "contentType": "application/json",
        "correlationId": _correlation_id(
            "Ties the record to the HTTP request and to every log line."
        ),
        "headers": _schema("timestampCommandHeaders"),
        "payload": _schema("timestampCommand"),
        "bindings": {
            "kafka": key_binding(
                {
                    "type": "string",
                    "format": "uuid",
                    "description": "The command id as UTF-8 text: the payload's `command_id`.",
                    "examples": [EXAMPLE_COMMAND.key().decode()],
                }
            )
        },
        "examples": [
            {
                "name": "accepted",
                "summary": "An event at 2009-09-28T19:03:12Z, accepted at 2026-11-25T20:00:00.25Z.",
                "headers": {KAFKA_HEADER: EXAMPLE_CORRELATION_ID},
                "payload": EXAMPLE_COMMAND.to_json(),
            }
        ],
    }


def dead_letter_message() -> dict[str, Any]:
    headers = {name: (value or b"").decode() for name, value in example_dead_letter_headers()}
    return {
        "name": "DeadLetter",
        "title": "Dead-lettered command record",
        "summary": PoisonMessage.__doc__,
        "description": (
            "The original record's key, value and headers, unchanged, plus headers saying why "
            "and where it came from. The consumer publishes it (acks=all) before committing the "
            "original offset, then the partition moves on. A transient failure (database down) "
            "is retried and never dead-lettered. `timestamp-ops dlq redrive` publishes the dead "
            "letters that decode and are not rows yet back to the command topic, with their "
            f"original key and headers plus `{REDRIVEN_FROM}`."
        ),
        "contentType": "application/octet-stream",
        "correlationId": _correlation_id("The original record's correlation id, when it had one."),
        "headers": _schema("deadLetterHeaders"),
        "payload": _schema("deadLetterValue"),
        "bindings": {
            "kafka": key_binding(
                {
                    "description": (
                        "The original record's key, unchanged (normally the command id; may be "
                        "anything, or absent)."
                    )
                }
            )
        },
        "examples": [
            {
                "name": "badTimestamp",
                "summary": "`event_timestamp` has no offset, so it is not an RFC 3339 date-time.",
                "headers": headers,
                "payload": EXAMPLE_POISON_VALUE.decode(),
            }
        ],
    }
