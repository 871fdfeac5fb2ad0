"""A Kafka header name written as raw bytes, UTF-8 or not (as librdkafka or Java may write it),
for the tests of records aiokafka's parser cannot decode."""


class RawHeaderName(str):
    """aiokafka's Python batch builder writes `name.encode("utf-8")`: this one writes its bytes."""

    raw: bytes

    def __new__(cls, raw: bytes) -> "RawHeaderName":
        name = super().__new__(cls, raw.decode("latin-1"))
        name.raw = raw
        return name

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw
