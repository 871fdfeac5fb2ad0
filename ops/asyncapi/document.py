"""The whole document: the channels (one per topic), the operations on them, and the components
(headers, payloads, messages) they refer to, in a stable order."""

import json
from dataclasses import dataclass
from typing import Any, Literal

from ops.asyncapi.bindings import group_binding, topic_binding
from ops.asyncapi.headers import command_headers_schema, dead_letter_headers_schema
from ops.asyncapi.messages import command_message, dead_letter_message
from ops.asyncapi.payloads import command_schema, dead_letter_value_schema
from shared.kafka import dead_letter_topic
from shared.settings import DEFAULT_TOPIC, KafkaSettings

ASYNCAPI_VERSION = "3.0.0"
# The document's own version; the topic name (`.v1`) carries the message's major version.
API_VERSION = "1.0.0"
REGENERATE = "timestamp-ops asyncapi docs/asyncapi.json"


@dataclass(frozen=True)
class Channel:
    """A topic and the one message it carries (by its name under `components/messages`)."""

    name: str
    address: str
    title: str
    description: str
    message: str

    @property
    def ref(self) -> str:
        return f"#/channels/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "title": self.title,
            "description": self.description,
            "messages": {self.message: {"$ref": f"#/components/messages/{self.message}"}},
            "bindings": {"kafka": topic_binding(self.address)},
        }


@dataclass(frozen=True)
class Operation:
    """One service sending to or receiving from a channel."""

    name: str
    action: Literal["send", "receive"]
    channel: Channel
    title: str
    summary: str
    service: str
    kafka_binding: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "action": self.action,
            "channel": {"$ref": self.channel.ref},
            "title": self.title,
            "summary": self.summary,
            "tags": [{"name": self.service}],
        }
        if self.kafka_binding is not None:
            operation["bindings"] = {"kafka": self.kafka_binding}
        operation["messages"] = [{"$ref": f"{self.channel.ref}/messages/{self.channel.message}"}]
        return operation


COMMANDS = Channel(
    name="timestampCommand",
    address=DEFAULT_TOPIC,
    title="Timestamp commands",
    description=(
        "The golden record: kept forever (`retention.ms=-1`), so replaying it from the earliest "
        "offset rebuilds the read model exactly. The name is `KAFKA_PUBLISH_TOPIC` (command "
        "service) and `KAFKA_CONSUMER_TOPIC` (consumer service)."
    ),
    message="timestampCommand",
)
DEAD_LETTERS = Channel(
    name="timestampCommandDeadLetter",
    address=dead_letter_topic(DEFAULT_TOPIC),
    title="Dead-lettered commands",
    description="Records of the command topic that can never be applied.",
    message="deadLetter",
)


def _operations() -> list[Operation]:
    return [
        Operation(
            name="publishTimestampCommand",
            action="send",
            channel=COMMANDS,
            title="Publish an accepted command",
            summary=(
                "The command service publishes each accepted command (idempotent producer, "
                "acks=all) and answers the HTTP request only once the broker has it."
            ),
            service="command-service",
        ),
        Operation(
            name="consumeTimestampCommand",
            action="receive",
            channel=COMMANDS,
            title="Apply commands to PostgreSQL",
            summary=(
                "The consumer service writes batches idempotently and commits offsets only "
                "after the database transaction has committed."
            ),
            service="consumer-service",
            kafka_binding=group_binding(),
        ),
        Operation(
            name="publishDeadLetter",
            action="send",
            channel=DEAD_LETTERS,
            title="Dead-letter a poison record",
            summary="The consumer service sets aside a record it can never apply.",
            service="consumer-service",
        ),
    ]


def _components() -> dict[str, Any]:
    return {
        "schemas": {
            "timestampCommand": command_schema(),
            "timestampCommandHeaders": command_headers_schema(),
            "deadLetterValue": dead_letter_value_schema(),
            "deadLetterHeaders": dead_letter_headers_schema(),
        },
        "messages": {
            COMMANDS.message: command_message(),
            DEAD_LETTERS.message: dead_letter_message(),
        },
    }


def build_asyncapi() -> dict[str, Any]:
    """The whole document, as plain JSON-compatible data, in a stable order."""
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
                "host": KafkaSettings.model_fields["kafka_broker"].default,
                "protocol": "kafka",
                "description": "The local broker (`KAFKA_BROKER` default); set it for any other.",
            }
        },
        "channels": {channel.name: channel.to_json() for channel in (COMMANDS, DEAD_LETTERS)},
        "operations": {operation.name: operation.to_json() for operation in _operations()},
        "components": _components(),
    }


def render_asyncapi() -> str:
    """Deterministic pretty JSON (insertion order, 2-space indent, trailing newline)."""
    return json.dumps(build_asyncapi(), indent=2, ensure_ascii=False) + "\n"
