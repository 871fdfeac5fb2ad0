"""Consumer service settings: the shared ones, the consumer group's, batching, retries and the
dead-letter producer's."""

from pydantic import Field

from shared.settings import (
    DEFAULT_GROUP,
    DEFAULT_TOPIC,
    DatabaseSettings,
    KafkaSettings,
    ServiceSettings,
)


class ConsumerSettings(ServiceSettings, KafkaSettings, DatabaseSettings):
    server_port: int = Field(default=7081, ge=1, le=65535)
    kafka_consumer_topic: str = Field(default=DEFAULT_TOPIC, min_length=1)
    kafka_group_id: str = Field(default=DEFAULT_GROUP, min_length=1)
    # One consume loop per process: the consumer scales by processes in its group.
    web_concurrency: int = Field(default=1, ge=1, le=1)
    batch_max_records: int = Field(default=5000, ge=1, le=100_000)
    offset_commit_interval_ms: int = Field(default=100, ge=0, le=60_000)
    poll_timeout_ms: int = Field(default=100, ge=1, le=60_000)
    retry_initial_s: float = Field(default=0.1, gt=0)
    retry_max_s: float = Field(default=5.0, gt=0)
    # How long one dead-letter send may take (the DLQ producer's request_timeout_ms): a DLQ
    # that is missing is only known as such once this has passed.
    dead_letter_timeout_ms: int = Field(default=10_000, ge=1_000, le=300_000)
    max_poll_interval_ms: int = Field(default=300_000, ge=10_000)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000)
    # Fault injection for the fault suite (consumer_service/faults.py): die right after the
    # Nth batch's database commit, before its offsets are committed (0: never).
    fault_crash_after_db_commit: int = Field(default=0, ge=0)
