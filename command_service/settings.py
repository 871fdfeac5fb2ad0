"""Command service settings: the shared ones, the producer's and the bulk request's bounds."""

from pydantic import Field

from shared.settings import DEFAULT_TOPIC, KafkaSettings, ServiceSettings
from shared.timestamps import MAX_LENGTH


class CommandSettings(ServiceSettings, KafkaSettings):
    server_port: int = Field(default=7080, ge=1, le=65535)
    kafka_publish_topic: str = Field(default=DEFAULT_TOPIC, min_length=1)
    kafka_ack_timeout_s: float = Field(default=5.0, gt=0, le=120)
    kafka_linger_ms: int = Field(default=5, ge=0, le=1000)
    kafka_startup_timeout_s: float = Field(default=60.0, gt=0)
    retry_after_s: int = Field(default=5, ge=1)  # the longest Retry-After (retry_after.py)
    max_batch_items: int = Field(default=1000, ge=1, le=100_000)

    @property
    def max_batch_body_bytes(self) -> int:
        """A bulk body of MAX_BATCH_ITEMS timestamps of the longest length we take, quoted and
        separated with a little whitespace."""
        return self.max_batch_items * (MAX_LENGTH + 8) + 1024
