"""Header values as Kafka has them: nullable. aiokafka reads a null value as None, yet types a
consumed record's header values as bytes; the tests build records that carry a None."""

from collections.abc import Sequence
from typing import cast

from shared.headers import Headers


def as_consumed(headers: Headers) -> Sequence[tuple[str, bytes]]:
    """`headers` as aiokafka's ConsumerRecord declares them; a None value stays None."""
    return cast(Sequence[tuple[str, bytes]], headers)
