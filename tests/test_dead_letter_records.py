"""ops.dead_letter_records: positions and the safe rendering of bytes (no servers)."""

import pytest

from ops.dead_letter_records import parse_position, render_bytes


@pytest.mark.parametrize(("text", "expected"), [("3:17", (3, 17)), ("17", (None, 17))])
def test_a_position_is_partition_and_offset_or_an_offset(
    text: str, expected: tuple[int | None, int]
) -> None:
    assert parse_position(text) == expected


@pytest.mark.parametrize("text", ["", "x", "1:", ":1", "-1", "1:2:3", "a:1"])
def test_anything_else_is_not_a_position(text: str) -> None:
    with pytest.raises(ValueError, match="PARTITION:OFFSET"):
        parse_position(text)


def test_printable_text_is_shown_as_it_is_and_truncated() -> None:
    assert render_bytes(b'{"a": 1}\n', 100) == '{"a": 1}\n'
    assert render_bytes(b"abcdef", 4) == "abcd … (2 more bytes)"
    assert render_bytes(None, 4) == "(null)"


@pytest.mark.parametrize("value", [b"\x00\xff", b"\x1b[31mred", "caf\u00e9\u202e".encode()])
def test_anything_else_is_hex(value: bytes) -> None:
    assert render_bytes(value, 100).startswith("hex: ")
    assert "\x1b" not in render_bytes(value, 100)
