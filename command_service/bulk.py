"""Bulk ingest bodies: a JSON array of RFC 3339 timestamps, or NDJSON (one JSON string a line).
All or nothing: the first invalid item fails the whole body, naming its index."""

from datetime import datetime

import orjson

from shared.timestamps import InvalidTimestamp, parse_rfc3339

NDJSON = "application/x-ndjson"


class InvalidBulk(ValueError):
    """The body is not a list of 1 to MAX_BATCH_ITEMS RFC 3339 timestamps; the message says
    why (and at which index)."""


def parse_bulk(body: bytes, content_type: str, max_items: int) -> list[datetime]:
    items = _ndjson(body) if content_type.split(";")[0].strip().lower() == NDJSON else _array(body)
    if not items:
        raise InvalidBulk("no timestamps: send a JSON array of 1 or more RFC 3339 timestamps")
    if len(items) > max_items:
        raise InvalidBulk(f"{len(items)} timestamps; at most {max_items} per request")
    moments = []
    for index, item in enumerate(items):
        if type(item) is not str:
            raise InvalidBulk(f"item {index}: expected an RFC 3339 string, got {_kind(item)}")
        try:
            moments.append(parse_rfc3339(item))
        except InvalidTimestamp as error:
            raise InvalidBulk(f"item {index}: {error}") from None
    return moments


def _array(body: bytes) -> list[object]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidBulk(f"the body is not JSON: {error}") from None
    if type(document) is not list:
        raise InvalidBulk(f"expected a JSON array of timestamps, got {_kind(document)}")
    return document


def _ndjson(body: bytes) -> list[object]:
    items: list[object] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise InvalidBulk(f"item {len(items)}: the line is not JSON") from None
    return items


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
