"""command_service.idempotency: the key's rules and the id derivation (no servers)."""

import uuid

import pytest

from command_service.idempotency import (
    MAX_KEY_LENGTH,
    NAMESPACE,
    InvalidIdempotencyKey,
    command_id_for,
    idempotency_key,
)


def test_a_key_gives_the_same_uuid5_every_time() -> None:
    first = command_id_for(b"order-4711")
    assert first == command_id_for(b"order-4711") == uuid.uuid5(NAMESPACE, "order-4711")
    assert first.version == 5
    assert first != command_id_for(b"order-4712")


def test_without_a_key_every_id_is_new() -> None:
    assert command_id_for(None) != command_id_for(None)


def test_bulk_items_get_distinct_ids_no_single_key_can_name() -> None:
    items = [command_id_for(b"batch", index) for index in range(3)]
    assert len(set(items)) == 3
    assert command_id_for(b"batch") not in items
    assert command_id_for(b"batch#0") not in items and command_id_for(b"batch0") not in items
    assert items[1] == command_id_for(b"batch", 1)


@pytest.mark.parametrize("key", [b" ", b"~", b"a" * MAX_KEY_LENGTH, b'"quoted, with spaces"'])
def test_printable_ascii_up_to_255_is_a_key(key: bytes) -> None:
    assert command_id_for(key).version == 5


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (b"", "1 to 255"),
        (b"a" * (MAX_KEY_LENGTH + 1), "1 to 255"),
        (b"tab\there", "printable ASCII"),
        (b"caf\xc3\xa9", "printable ASCII"),
        (b"nul\x00", "printable ASCII"),
        (b"del\x7f", "printable ASCII"),
    ],
)
def test_anything_else_is_invalid_with_a_reason(key: bytes, why: str) -> None:
    with pytest.raises(InvalidIdempotencyKey, match=why):
        command_id_for(key)
    with pytest.raises(InvalidIdempotencyKey):
        command_id_for(key, 0)


def test_the_header_is_found_by_its_lowercase_asgi_name_and_only_once() -> None:
    assert idempotency_key([(b"content-type", b"x"), (b"idempotency-key", b"k")]) == b"k"
    assert idempotency_key([(b"content-type", b"x")]) is None
    with pytest.raises(InvalidIdempotencyKey, match="once"):
        idempotency_key([(b"idempotency-key", b"a"), (b"idempotency-key", b"a")])
