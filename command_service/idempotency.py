"""The `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header): the command id is
derived from the client's key, so every retry of a request answers the same id and lands as
the same row, on any replica, after any restart. Pure: the FastAPI routes and the fast lane
apply exactly these rules."""

import uuid
from collections.abc import Iterable

from shared.ids import random_uuid

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Fixed forever: changing it changes every id derived from a key.
NAMESPACE = uuid.UUID("0b6c5f3e-7d8e-5a41-9c2f-1e4d8a7b6c50")
_RAW_HEADER = HEADER.lower().encode()
_PRINTABLE = frozenset(range(0x20, 0x7F))
# Not printable ASCII, so no key alone can name what a key and an index name.
_INDEX_SEPARATOR = b"\n"


class InvalidIdempotencyKey(ValueError):
    """The header is present but not 1-255 printable ASCII characters; the message says why."""


def idempotency_key(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The raw `Idempotency-Key` of ASGI `headers`, or None when absent. Sent twice: invalid."""
    found: bytes | None = None
    for name, value in headers:
        if name == _RAW_HEADER:
            if found is not None:
                raise InvalidIdempotencyKey(f"{HEADER} must be sent once")
            found = value
    return found


def command_id_for(key: bytes | None, index: int | None = None) -> uuid.UUID:
    """A random id without a key; with one, UUIDv5 of the key (and the item's `index` within a
    bulk request). Raises `InvalidIdempotencyKey`."""
    if key is None:
        return random_uuid()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters (got {len(key)})"
        )
    if not _PRINTABLE.issuperset(key):
        raise InvalidIdempotencyKey(f"{HEADER} must be printable ASCII (0x20-0x7E)")
    name = key if index is None else key + _INDEX_SEPARATOR + str(index).encode()
    return uuid.uuid5(NAMESPACE, name.decode("ascii"))


# The header as an OpenAPI parameter, for the routes' `openapi_extra` (read from the raw
# headers, not declared to FastAPI: a declared header costs every request).
IDEMPOTENCY_PARAMETER = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Client-chosen key (printable ASCII, 1-255 characters): the command id is "
                "derived from it, so every retry answers the same id and lands as the same row. "
                "A key reused for another timestamp is dead-lettered as a `conflict`, never "
                "merged. Without it, every request gets a new random id."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "example": "order-4711-attempt",
        }
    ]
}
