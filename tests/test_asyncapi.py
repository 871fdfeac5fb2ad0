"""ops/asyncapi/ and the checked-in docs/asyncapi.json stay in step with the code."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiokafka.structs import ConsumerRecord
from typer.testing import CliRunner

from consumer_service.dead_letters import PREFIX, REASON, error_headers
from ops.asyncapi import REGENERATE, build_asyncapi, render_asyncapi
from ops.cli import app
from ops.redrive import REDRIVEN_FROM, redriven_from
from ops.topics import KEEP_FOREVER, TopicPlan
from shared.correlation import KAFKA_HEADER
from shared.kafka import dead_letter_topic
from shared.messages import FIELDS, BadTimestamp, PoisonMessage, decode_command
from shared.settings import DEFAULT_TOPIC

CHECKED_IN = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"


def consumed_record() -> ConsumerRecord[bytes, bytes]:
    """A record of the command topic, as the consumer reads it."""
    key, value = b"52f2665d-c087-42e5-a571-89061021a37c", b'{"command_id": "x"}'
    headers = [(KAFKA_HEADER, b"0f8e3b2a-6c1d-4e5f-9a7b-3d2c1b0a9e8f")]
    return ConsumerRecord(DEFAULT_TOPIC, 5, 1234, 0, 0, key, value, None, 0, 0, headers)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_asyncapi()


def _components(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return document["components"]["schemas"], document["components"]["messages"]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_checked_in_document_is_current() -> None:
    assert CHECKED_IN.exists(), f"docs/asyncapi.json is missing: run `{REGENERATE}`"
    assert CHECKED_IN.read_text(encoding="utf-8") == render_asyncapi(), (
        f"docs/asyncapi.json is stale: run `{REGENERATE}`"
    )


def test_render_is_deterministic_json() -> None:
    text = render_asyncapi()
    assert text == render_asyncapi()
    assert text.endswith("}\n")
    assert json.loads(text) == build_asyncapi()


def test_every_internal_reference_resolves(document: dict[str, Any]) -> None:
    refs = list(_refs(document))
    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_channels_are_the_command_topic_and_its_dead_letter_topic(
    document: dict[str, Any],
) -> None:
    channels = document["channels"]
    assert [channel["address"] for channel in channels.values()] == [
        DEFAULT_TOPIC,
        dead_letter_topic(DEFAULT_TOPIC),
    ]
    for channel in channels.values():
        kafka = channel["bindings"]["kafka"]
        assert kafka["topic"] == channel["address"]
        assert kafka["partitions"] == TopicPlan(DEFAULT_TOPIC).partitions == 6
        assert kafka["topicConfiguration"] == {"retention.ms": int(KEEP_FOREVER["retention.ms"])}
        assert kafka["topicConfiguration"]["retention.ms"] == -1


def test_command_service_sends_and_consumer_receives(document: dict[str, Any]) -> None:
    by_channel = {
        (operation["action"], _resolve(document, operation["channel"]["$ref"])["address"])
        for operation in document["operations"].values()
    }
    assert by_channel == {
        ("send", DEFAULT_TOPIC),
        ("receive", DEFAULT_TOPIC),
        ("send", dead_letter_topic(DEFAULT_TOPIC)),
    }


def test_payload_properties_are_exactly_the_message_fields(document: dict[str, Any]) -> None:
    schemas, _ = _components(document)
    payload = schemas["timestampCommand"]
    assert tuple(payload["properties"]) == FIELDS
    assert tuple(payload["required"]) == FIELDS
    assert payload["additionalProperties"] is False
    assert payload["properties"]["command_id"]["format"] == "uuid"
    assert payload["properties"]["event_timestamp"]["format"] == "date-time"
    assert payload["properties"]["accepted_at"]["format"] == "date-time"


def test_example_payload_round_trips_through_the_decoder(document: dict[str, Any]) -> None:
    _, messages = _components(document)
    message = messages["timestampCommand"]
    (example,) = message["examples"]
    command = decode_command(json.dumps(example["payload"]).encode())
    assert command.to_json() == example["payload"]
    assert message["bindings"]["kafka"]["key"]["examples"] == [command.key().decode()]
    assert uuid.UUID(example["headers"][KAFKA_HEADER])
    assert message["correlationId"]["location"] == f"$message.header#/{KAFKA_HEADER}"


def test_examples_validate_against_their_schemas(document: dict[str, Any]) -> None:
    schemas, messages = _components(document)
    pairs = [
        ("timestampCommand", "payload", "timestampCommand"),
        ("timestampCommand", "headers", "timestampCommandHeaders"),
        ("deadLetter", "headers", "deadLetterHeaders"),
    ]
    # The 2020-12 checker knows `uuid`; `date-time` is checked only when rfc3339-validator is
    # installed (the decoder round trip above covers it either way).
    formats = jsonschema.Draft202012Validator.FORMAT_CHECKER
    for message, part, schema_name in pairs:
        validator = jsonschema.Draft7Validator(schemas[schema_name], format_checker=formats)
        for example in messages[message]["examples"]:
            validator.validate(example[part])
    payload = jsonschema.Draft7Validator(schemas["timestampCommand"], format_checker=formats)
    (good,) = messages["timestampCommand"]["examples"]
    assert not payload.is_valid({**good["payload"], "extra": "field"})
    assert not payload.is_valid({"command_id": good["payload"]["command_id"]})
    assert not payload.is_valid({**good["payload"], "command_id": "not-a-uuid"})


def test_dead_letter_headers_match_what_the_consumer_produces(document: dict[str, Any]) -> None:
    schemas, _ = _components(document)
    header_schema = schemas["deadLetterHeaders"]
    record = consumed_record()
    error = BadTimestamp("'2009-09-28T19:03:12' is not an RFC 3339 date-time")
    produced = error_headers(record, error)
    names = [name for name, _ in produced]
    assert names == list(header_schema["properties"])[: len(names)]
    assert header_schema["required"] == [name for name in names if name != KAFKA_HEADER]
    values = {name: (value or b"").decode() for name, value in produced}
    assert (
        values[REASON]
        in header_schema["properties"][REASON]["enum"]
        == [
            "bad_command_id",
            "bad_headers",
            "bad_timestamp",
            "conflict",
            "internal_error",
            "not_json",
            "wrong_schema",
        ]
    )
    properties = header_schema["properties"]
    poison_classes = properties[PREFIX + "exception.class.name"]["examples"]
    assert values[PREFIX + "exception.class.name"] in poison_classes
    assert values[PREFIX + "stage"] == properties[PREFIX + "stage"]["const"]
    assert values[PREFIX + "topic"] == DEFAULT_TOPIC


def test_exception_classes_are_the_poison_kinds(document: dict[str, Any]) -> None:
    schemas, _ = _components(document)
    classes = schemas["deadLetterHeaders"]["properties"][PREFIX + "exception.class.name"]
    assert classes["examples"] == [
        f"{kind.__module__}.{kind.__qualname__}" for kind in PoisonMessage.__subclasses__()
    ]
    assert classes["examples"] == [
        "shared.messages.NotJson",
        "shared.messages.WrongSchema",
        "shared.messages.BadTimestamp",
        "shared.messages.BadCommandId",
        "shared.messages.BadHeaders",
        "shared.messages.Conflict",
    ]


def test_dead_letter_example_is_real_poison(document: dict[str, Any]) -> None:
    _, messages = _components(document)
    (example,) = messages["deadLetter"]["examples"]
    with pytest.raises(BadTimestamp):
        decode_command(example["payload"].encode())
    assert example["headers"][PREFIX + "exception.class.name"] == "shared.messages.BadTimestamp"


def test_the_cli_writes_the_file_and_prints_without_argument(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "out" / "asyncapi.json"
    assert runner.invoke(app, ["asyncapi", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == render_asyncapi()
    printed = runner.invoke(app, ["asyncapi"])
    assert printed.exit_code == 0
    assert printed.stdout_bytes.decode() == render_asyncapi()
    assert runner.invoke(app, ["asyncapi", "-"]).stdout_bytes == printed.stdout_bytes
    assert runner.invoke(app, ["asyncapi", "a", "b"]).exit_code == 2


def test_the_redrive_header_is_documented_as_redrive_writes_it(document: dict[str, Any]) -> None:
    schemas, messages = _components(document)
    header = schemas["timestampCommandHeaders"]["properties"][REDRIVEN_FROM]
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        dead_letter_topic(DEFAULT_TOPIC), 5, 1234, 0, 0, None, None, None, 0, 0, []
    )
    value = redriven_from(record).decode()
    assert value == f"{DEFAULT_TOPIC}.dlq:5:1234"
    jsonschema.Draft7Validator(header).validate(value)
    assert REDRIVEN_FROM in messages["deadLetter"]["description"]


def test_an_example_that_breaks_its_schema_is_caught(document: dict[str, Any]) -> None:
    schemas, messages = _components(document)
    (good,) = messages["timestampCommand"]["examples"]
    validator = jsonschema.Draft7Validator(schemas["timestampCommand"])
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**good["payload"], "event_timestamp": 1254164592})
