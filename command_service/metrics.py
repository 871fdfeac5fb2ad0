"""What the command side counts: produced messages and how long the broker took to ack."""

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.buckets import LATENCY_BUCKETS


class CommandMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.produced = Counter(
            "timestamp_kafka_produced_messages_total",
            "Commands published, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.produce_latency = Histogram(
            "timestamp_kafka_produce_duration_seconds",
            "From send to the broker's acks=all acknowledgement",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.acknowledged = self.produced.labels("acknowledged")
        self.unavailable = self.produced.labels("unavailable")
