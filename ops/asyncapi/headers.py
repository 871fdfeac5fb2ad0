"""The header schemas of the command record and of its dead letter.

The dead-letter headers are read off what `consumer_service.dead_letters.error_headers` really
produces for the example poison record; the poison kinds are `PoisonMessage`'s subclasses."""

from typing import Any

from consumer_service.dead_letters import (
    ORIGINAL_HEADERS_BYTES,
    ORIGINAL_KEY_BYTES,
    ORIGINAL_VALUE_BYTES,
    PREFIX,
    REASON,
    TRUNCATED,
    error_headers,
)
from ops.asyncapi.examples import example_dead_letter_headers, example_record
from ops.redrive import REDRIVEN_FROM
from shared.correlation import KAFKA_HEADER
from shared.messages import PoisonMessage
from shared.settings import DEFAULT_TOPIC
from shared.tracing import HEADER as TRACE_HEADER

PROJECT_PACKAGES = ("shared", "command_service", "consumer_service", "query_service", "ops")
# Kafka topic names are made of these characters only, so the first `:` ends the name.
REDRIVEN_FROM_PATTERN = "^[a-zA-Z0-9._-]+:[0-9]+:[0-9]+$"

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


def _text_header(rule: dict[str, str], description: str) -> dict[str, str]:
    return {"type": "string", **rule, "description": description}


def correlation_header() -> dict[str, str]:
    return _text_header(
        {"format": "uuid"},
        "The HTTP request's correlation id, set by the command service on every record and "
        "bound to the consumer's log lines. Optional: records from other producers may lack it.",
    )


def _trace_header() -> dict[str, str]:
    return _text_header(
        {"pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"},
        "W3C trace context of the command's producer span, set when tracing is on (the OTEL_* "
        "variables): the consumer's batch span links to it. Optional; one that is absent or "
        "invalid is ignored.",
    )


def _redriven_from_header() -> dict[str, str]:
    return _text_header(
        {"pattern": REDRIVEN_FROM_PATTERN},
        "Set by `timestamp-ops dlq redrive` on a dead letter it publishes back to this topic: "
        "where that dead letter is, `<dlq topic>:<partition>:<offset>`. Absent on the command "
        "service's records.",
    )


def command_headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            KAFKA_HEADER: correlation_header(),
            TRACE_HEADER: _trace_header(),
            REDRIVEN_FROM: _redriven_from_header(),
        },
    }


def dead_letter_reasons() -> list[str]:
    return sorted({kind.reason for kind in _poison_classes()} | {"internal_error"})


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


def dead_letter_headers_schema() -> dict[str, Any]:
    why = {
        name.removeprefix(PREFIX): (value or b"").decode()
        for name, value in example_dead_letter_headers()
        if name.startswith(PREFIX)
    }
    truncated = error_headers(example_record(b""), PoisonMessage("x" * 100_000))
    message_limit = len(dict(truncated)[PREFIX + "exception.message"] or b"")
    constraints: dict[str, dict[str, Any]] = {
        "topic": {"examples": [DEFAULT_TOPIC]},
        "partition": {"pattern": "^[0-9]+$"},
        "offset": {"pattern": "^[0-9]+$"},
        "exception.class.name": {"examples": poison_class_names()},
        "exception.message": {"maxLength": message_limit},
        "stage": {"const": why.get("stage")},
    }
    properties: dict[str, Any] = {KAFKA_HEADER: correlation_header()}
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
