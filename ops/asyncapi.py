"""AsyncAPI 3.0 document for the command topic and its dead-letter topic, built from the code.

Everything that can drift is read from the definitions the services run on: the payload from
`shared.messages.TimestampCommand`, the correlation header from `shared.correlation`, the
dead-letter headers from what `consumer_service.dead_letters.error_headers` really produces,
the poison kinds from `PoisonMessage`'s subclasses, the topic settings from `ops.topics`.

`python -m ops.asyncapi docs/asyncapi.json` rewrites the checked-in document (no argument, or
`-`, prints it); `tests/test_asyncapi.py` fails when that file is stale.
"""

import json
import sys
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from aiokafka.structs import ConsumerRecord

from consumer_service.dead_letters import (
    ORIGINAL_HEADERS_BYTES,
    ORIGINAL_KEY_BYTES,
    ORIGINAL_VALUE_BYTES,
    PREFIX,
    REASON,
    TRUNCATED,
    error_headers,
)
from ops.topics import KEEP_FOREVER, TopicPlan
from shared.correlation import KAFKA_HEADER
from shared.kafka import dead_letter_topic
from shared.messages import PoisonMessage, TimestampCommand, decode_command
from shared.settings import DEFAULT_GROUP, DEFAULT_TOPIC, KafkaSettings
from shared.timestamps import EXAMPLE, parse_rfc3339
from shared.tracing import HEADER as TRACE_HEADER

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
# The document's own version; the topic name (`.v1`) carries the message's major version.
API_VERSION = "1.0.0"
REGENERATE = "python -m ops.asyncapi docs/asyncapi.json"
PROJECT_PACKAGES = ("shared", "command_service", "consumer_service", "query_service", "ops")

COMMAND_TOPIC = DEFAULT_TOPIC
DEAD_LETTER_TOPIC = dead_letter_topic(COMMAND_TOPIC)

EXAMPLE_COMMAND = TimestampCommand(
    command_id=UUID("52f2665d-c087-42e5-a571-89061021a37c"),
    event_timestamp=parse_rfc3339(EXAMPLE),
    accepted_at=datetime(2026, 11, 25, 20, 0, 0, 250000, tzinfo=UTC),
)
EXAMPLE_CORRELATION_ID = "0f8e3b2a-6c1d-4e5f-9a7b-3d2c1b0a9e8f"
# A poison record: `event_timestamp` without an offset is not an RFC 3339 date-time.
EXAMPLE_POISON_VALUE = json.dumps(
    {**EXAMPLE_COMMAND.to_json(), "event_timestamp": "2009-09-28T19:03:12"},
    separators=(",", ":"),
).encode()

_UTC_DATE_TIME = (
    "RFC 3339 date-time, always in UTC with `Z`, fractional seconds only when non-zero "
    "(trailing zeros cut), microsecond precision (PostgreSQL's): e.g. `2009-09-28T19:03:12Z`, "
    "`2026-11-25T20:00:00.25Z`."
)
_TYPE_SCHEMAS: dict[type, dict[str, str]] = {
    UUID: {
        "type": "string",
        "format": "uuid",
        "description": "UUID in canonical lower-case 8-4-4-4-12 form.",
    },
    datetime: {"type": "string", "format": "date-time", "description": _UTC_DATE_TIME},
}
_FIELD_NOTES = {
    "command_id": "The command's id: the ticket the client got back, and the record key.",
    "event_timestamp": "When the event happened, as submitted to the command service.",
    "accepted_at": "When the command service accepted the command.",
}
_DEAD_LETTER_NOTES = {
    "topic": "Topic the original record was consumed from.",
    "partition": "Partition of the original record, in decimal.",
    "offset": "Offset of the original record in that partition, in decimal.",
    "exception.class.name": (
        "Fully qualified class of the `shared.messages.PoisonMessage` saying why the record "
        "can never be applied; with reason `internal_error`, the class of the unexpected "
        "exception handling it raised."
    ),
    "exception.message": "Human-readable reason (cut to `maxLength` characters).",
    "stage": "Where it failed, in Kafka Connect's terms: decoding the record value.",
}

_DLQ_NOTES = {
    REASON: (
        "Why, in one word: the poison kind, `conflict` (the command id is already a row with "
        "another event_timestamp; the row keeps the first), or `internal_error` (handling "
        "the record raised unexpectedly). Always present."
    ),
    TRUNCATED: (
        "`true` when the record was too large for the DLQ: key, value and original headers "
        "are cut (value to its first 65,536 bytes); the original stays in the source topic "
        "at `__connect.errors.topic/partition/offset`. Absent otherwise."
    ),
    ORIGINAL_KEY_BYTES: "With `dlq.truncated`: the original key's size in bytes.",
    ORIGINAL_VALUE_BYTES: "With `dlq.truncated`: the original value's size in bytes.",
    ORIGINAL_HEADERS_BYTES: "With `dlq.truncated`: the original headers' size in bytes.",
}


def dead_letter_reasons() -> list[str]:
    return sorted({kind.reason for kind in _poison_classes()} | {"internal_error"})


def _field_schema(name: str, kind: object) -> dict[str, str]:
    schema = _TYPE_SCHEMAS.get(kind) if isinstance(kind, type) else None
    if schema is None:
        raise TypeError(f"TimestampCommand.{name}: no JSON schema for {kind!r}; add one")
    if name not in _FIELD_NOTES:
        raise KeyError(f"TimestampCommand.{name}: describe it in ops.asyncapi._FIELD_NOTES")
    return {**schema, "description": f"{_FIELD_NOTES[name]} {schema['description']}"}


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


def _correlation_header() -> dict[str, str]:
    return {
        "type": "string",
        "format": "uuid",
        "description": (
            "The HTTP request's correlation id, set by the command service on every record and "
            "bound to the consumer's log lines. Optional: records from other producers may lack it."
        ),
    }


def command_headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {KAFKA_HEADER: _correlation_header(), TRACE_HEADER: _trace_header()},
    }


def _trace_header() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        "description": (
            "W3C trace context of the command's producer span, set when tracing is on (the "
            "OTEL_* variables): the consumer's batch span links to it. Optional; one that is "
            "absent or invalid is ignored."
        ),
    }


def poison_class_names() -> list[str]:
    """Every project-defined `PoisonMessage` subclass, as `error_headers` names it."""
    return [f"{kind.__module__}.{kind.__qualname__}" for kind in _poison_classes()]


def _poison_classes() -> list[type[PoisonMessage]]:
    found: list[type[PoisonMessage]] = []
    pending = list(PoisonMessage.__subclasses__())
    while pending:
        kind = pending.pop(0)
        pending.extend(kind.__subclasses__())
        if kind.__module__.split(".")[0] in PROJECT_PACKAGES:
            found.append(kind)
    return found


def _record(value: bytes) -> ConsumerRecord[bytes, bytes]:
    key = EXAMPLE_COMMAND.key()
    return ConsumerRecord(
        topic=COMMAND_TOPIC,
        partition=3,
        offset=41217,
        timestamp=1795636800250,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[(KAFKA_HEADER, EXAMPLE_CORRELATION_ID.encode())],
    )


def example_dead_letter_headers() -> list[tuple[str, bytes | None]]:
    """What the consumer really sends for `EXAMPLE_POISON_VALUE`."""
    try:
        decode_command(EXAMPLE_POISON_VALUE)
    except PoisonMessage as error:
        return error_headers(_record(EXAMPLE_POISON_VALUE), error)
    raise AssertionError("EXAMPLE_POISON_VALUE decodes; it must be poison")


def dead_letter_headers_schema() -> dict[str, Any]:
    produced = example_dead_letter_headers()
    why = {
        name.removeprefix(PREFIX): (value or b"").decode()
        for name, value in produced
        if name.startswith(PREFIX)
    }
    truncated = error_headers(_record(b""), PoisonMessage("x" * 100_000))
    message_limit = len(dict(truncated)[PREFIX + "exception.message"] or b"")
    constraints: dict[str, dict[str, Any]] = {
        "topic": {"examples": [COMMAND_TOPIC]},
        "partition": {"pattern": "^[0-9]+$"},
        "offset": {"pattern": "^[0-9]+$"},
        "exception.class.name": {"examples": poison_class_names()},
        "exception.message": {"maxLength": message_limit},
        "stage": {"const": why.get("stage")},
    }
    properties: dict[str, Any] = {KAFKA_HEADER: _correlation_header()}
    for suffix in why:
        if suffix not in _DEAD_LETTER_NOTES:
            raise KeyError(f"header {PREFIX}{suffix}: describe it in _DEAD_LETTER_NOTES")
        properties[PREFIX + suffix] = {
            "type": "string",
            "description": _DEAD_LETTER_NOTES[suffix],
            **constraints.get(suffix, {}),
        }
    for name, note in _DLQ_NOTES.items():
        properties[name] = {"type": "string", "description": note}
    properties[REASON]["enum"] = dead_letter_reasons()
    properties[TRUNCATED]["const"] = "true"
    for name in (ORIGINAL_KEY_BYTES, ORIGINAL_VALUE_BYTES, ORIGINAL_HEADERS_BYTES):
        properties[name]["pattern"] = "^[0-9]+$"
    return {
        "type": "object",
        "description": (
            "The original record's headers, unchanged and first (a null value stays null), "
            f"followed by Kafka Connect-style `{PREFIX}*` headers saying where it came from "
            f"and why, and `{REASON}`. A record too large for the DLQ goes as a truncated "
            f"copy marked `{TRUNCATED}`."
        ),
        "properties": properties,
        "required": [*(PREFIX + suffix for suffix in why), REASON],
        "additionalProperties": {
            "type": "string",
            "description": "Any other header of the original record, unchanged.",
        },
    }


def _topic_binding(topic: str) -> dict[str, Any]:
    plan = TopicPlan(COMMAND_TOPIC)  # `timestamp-ops topics ensure` creates both topics alike
    return {
        "topic": topic,
        "partitions": plan.partitions,
        "topicConfiguration": {"retention.ms": int(KEEP_FOREVER["retention.ms"])},
        "bindingVersion": KAFKA_BINDING_VERSION,
    }


def _command_message() -> dict[str, Any]:
    return {
        "name": TimestampCommand.__name__,
        "title": "Timestamp command",
        "summary": TimestampCommand.__doc__,
        "description": (
            "SPEC §3.3. The one schema both sides use lives in `shared/messages.py`. "
            "Keyed by the command id, so every copy of one command lands on one partition."
        ),
        "contentType": "application/json",
        "correlationId": {
            "description": "Ties the record to the HTTP request and to every log line.",
            "location": f"$message.header#/{KAFKA_HEADER}",
        },
        "headers": {"$ref": "#/components/schemas/timestampCommandHeaders"},
        "payload": {"$ref": "#/components/schemas/timestampCommand"},
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The command id as UTF-8 text: the payload's `command_id`.",
                    "examples": [EXAMPLE_COMMAND.key().decode()],
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
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


def _dead_letter_message() -> dict[str, Any]:
    headers = {name: (value or b"").decode() for name, value in example_dead_letter_headers()}
    return {
        "name": "DeadLetter",
        "title": "Dead-lettered command record",
        "summary": PoisonMessage.__doc__,
        "description": (
            "The original record's key, value and headers, unchanged, plus headers saying why "
            "and where it came from. The consumer publishes it (acks=all) before committing the "
            "original offset, then the partition moves on. A transient failure (database down) "
            "is retried and never dead-lettered."
        ),
        "contentType": "application/octet-stream",
        "correlationId": {
            "description": "The original record's correlation id, when it had one.",
            "location": f"$message.header#/{KAFKA_HEADER}",
        },
        "headers": {"$ref": "#/components/schemas/deadLetterHeaders"},
        "payload": {"$ref": "#/components/schemas/deadLetterValue"},
        "bindings": {
            "kafka": {
                "key": {
                    "description": (
                        "The original record's key, unchanged (normally the command id; may be "
                        "anything, or absent)."
                    )
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
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


def build_asyncapi() -> dict[str, Any]:
    """The whole document, as plain JSON-compatible data, in a stable order."""
    command_ref = "#/channels/timestampCommand"
    dead_letter_ref = "#/channels/timestampCommandDeadLetter"
    broker = KafkaSettings.model_fields["kafka_broker"].default
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "timestamp-cqrs command topic",
            "version": API_VERSION,
            "description": (
                "Commands accepted by the command service, on their way to the consumer service "
                "and PostgreSQL, and the dead-letter topic for records that can never be "
                f"applied. Generated from the code by `{REGENERATE}`: do not edit by hand."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "devstack": {
                "host": broker,
                "protocol": "kafka",
                "description": "The local broker (`KAFKA_BROKER` default); set it for any other.",
            }
        },
        "channels": {
            "timestampCommand": {
                "address": COMMAND_TOPIC,
                "title": "Timestamp commands",
                "description": (
                    "The golden record: kept forever (`retention.ms=-1`), so replaying it from "
                    "the earliest offset rebuilds the read model exactly. The name is "
                    "`KAFKA_PUBLISH_TOPIC` (command service) and `KAFKA_CONSUMER_TOPIC` "
                    "(consumer service)."
                ),
                "messages": {
                    "timestampCommand": {"$ref": "#/components/messages/timestampCommand"}
                },
                "bindings": {"kafka": _topic_binding(COMMAND_TOPIC)},
            },
            "timestampCommandDeadLetter": {
                "address": DEAD_LETTER_TOPIC,
                "title": "Dead-lettered commands",
                "description": "Records of the command topic that can never be applied.",
                "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}},
                "bindings": {"kafka": _topic_binding(DEAD_LETTER_TOPIC)},
            },
        },
        "operations": {
            "publishTimestampCommand": {
                "action": "send",
                "channel": {"$ref": command_ref},
                "title": "Publish an accepted command",
                "summary": (
                    "The command service publishes each accepted command (idempotent producer, "
                    "acks=all) and answers the HTTP request only once the broker has it."
                ),
                "tags": [{"name": "command-service"}],
                "messages": [{"$ref": f"{command_ref}/messages/timestampCommand"}],
            },
            "consumeTimestampCommand": {
                "action": "receive",
                "channel": {"$ref": command_ref},
                "title": "Apply commands to PostgreSQL",
                "summary": (
                    "The consumer service writes batches idempotently and commits offsets only "
                    "after the database transaction has committed."
                ),
                "tags": [{"name": "consumer-service"}],
                "bindings": {
                    "kafka": {
                        "groupId": {
                            "type": "string",
                            "default": DEFAULT_GROUP,
                            "description": "`KAFKA_GROUP_ID`.",
                        },
                        "bindingVersion": KAFKA_BINDING_VERSION,
                    }
                },
                "messages": [{"$ref": f"{command_ref}/messages/timestampCommand"}],
            },
            "publishDeadLetter": {
                "action": "send",
                "channel": {"$ref": dead_letter_ref},
                "title": "Dead-letter a poison record",
                "summary": "The consumer service sets aside a record it can never apply.",
                "tags": [{"name": "consumer-service"}],
                "messages": [{"$ref": f"{dead_letter_ref}/messages/deadLetter"}],
            },
        },
        "components": {
            "schemas": {
                "timestampCommand": command_schema(),
                "timestampCommandHeaders": command_headers_schema(),
                "deadLetterValue": {
                    "description": (
                        "The original record value, byte for byte: whatever failed to decode "
                        "(usually a JSON document; may be any bytes, or absent for a tombstone)."
                    )
                },
                "deadLetterHeaders": dead_letter_headers_schema(),
            },
            "messages": {
                "timestampCommand": _command_message(),
                "deadLetter": _dead_letter_message(),
            },
        },
    }


def render_asyncapi() -> str:
    """Deterministic pretty JSON (insertion order, 2-space indent, trailing newline)."""
    return json.dumps(build_asyncapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("usage: python -m ops.asyncapi [OUTPUT.json | -]", file=sys.stderr)
        return 2
    text = render_asyncapi()
    if not args or args[0] == "-":
        sys.stdout.buffer.write(text.encode())
        sys.stdout.buffer.flush()
        return 0
    path = Path(args[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
