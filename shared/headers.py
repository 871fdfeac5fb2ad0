"""Kafka record headers as any producer may write them: a key repeated or absent, a value
None, binary or huge. Reading them never raises."""

from collections.abc import Iterable, Sequence

Headers = Sequence[tuple[str, bytes | None]]


def header_text(headers: Iterable[tuple[str, bytes | None]] | None, name: str) -> str | None:
    """The first `name` header as text (invalid UTF-8 replaced, at most 200 characters), or
    None when it is absent or null."""
    try:
        for key, value in headers or ():
            if key == name and isinstance(value, bytes | bytearray | memoryview):
                return bytes(value[:800]).decode("utf-8", "replace")[:200]
    except Exception:  # noqa: BLE001 - a header is only ever informative here
        return None
    return None


def headers_size(headers: Headers) -> int:
    """Bytes on the wire, as the broker counts them: a name is UTF-8."""
    return sum(len(key.encode("utf-8", "replace")) + len(value or b"") for key, value in headers)
