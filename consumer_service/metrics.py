"""What the consumer counts, plus lag and the last commit's time, read from its progress at
scrape time."""

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from consumer_service.progress import EndOffsets, Progress, partition_name
from shared.buckets import LATENCY_BUCKETS
from shared.messages import PoisonMessage


def dead_letter_reasons(kind: type[PoisonMessage] = PoisonMessage) -> Iterator[str]:
    """Every `reason` a dead letter can have (what consumer_service.dead_letters.reason_of
    gives): each PoisonMessage kind's, and internal_error."""
    if kind is PoisonMessage:
        yield "internal_error"
    yield kind.reason
    for sub in kind.__subclasses__():
        yield from dead_letter_reasons(sub)


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "timestamp_consumer_records_total",
            "Records handled, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "timestamp_consumer_dead_letters_total",
            "Records sent to the dead-letter topic",
            ["reason"],
            registry=registry,
        )
        # Every reason's series from 0, so that the first dead letter is an increase (a
        # series first seen at 1 is not one to increase() or rate()).
        for reason in dead_letter_reasons():
            self.dead_letters.labels(reason)
        self.retries = Counter(
            "timestamp_consumer_retries_total",
            "Transient failures retried",
            ["operation"],
            registry=registry,
        )
        self.partition_pauses = Counter(
            "timestamp_consumer_partition_pauses_total",
            "Partitions paused because a dead letter could not be sent, by reason",
            ["reason"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "timestamp_consumer_batch_records",
            "Records per poll/transaction",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000),
            registry=registry,
        )
        self.record_age = Histogram(
            "timestamp_consumer_record_age_seconds",
            "From the oldest record's Kafka timestamp (its produce time) to its batch's"
            " commit to the database: end-to-end latency, once per batch",
            buckets=(*LATENCY_BUCKETS, 60, 300, 1800),
            registry=registry,
        )
        self.apply_latency = Histogram(
            "timestamp_consumer_apply_duration_seconds",
            "One batch's database transaction",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )


class ProgressCollector(Collector):
    def __init__(self, source: Callable[[], tuple[Progress, EndOffsets] | None]) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        source = self._source()
        if source is None:
            return []
        progress, consumer = source
        lag = GaugeMetricFamily(
            "timestamp_consumer_lag_records",
            "End offset minus committed offset",
            labels=["partition"],
        )
        for partition, value in progress.lag(consumer).items():
            if value is not None:
                lag.add_metric([partition], value)
        assigned = GaugeMetricFamily(
            "timestamp_consumer_assigned_partitions", "Partitions owned now"
        )
        assigned.add_metric([], len(progress.assigned))
        stopped = GaugeMetricFamily(
            "timestamp_consumer_partition_stopped",
            "1 for a partition stopped because its dead letter cannot be written",
            labels=["partition", "reason"],
        )
        for tp, why in progress.stopped.items():
            stopped.add_metric([partition_name(tp), why], 1)
        paused = GaugeMetricFamily(
            "timestamp_consumer_paused_partitions", "Partitions paused on the DLQ"
        )
        paused.add_metric([], len(progress.paused))
        metrics: list[Metric] = [lag, assigned, stopped, paused]
        if progress.last_commit_time is not None:
            commit = GaugeMetricFamily(
                "timestamp_consumer_last_commit_timestamp_seconds",
                "Unix time of the last offset commit",
            )
            commit.add_metric([], progress.last_commit_time)
            metrics.append(commit)
        return metrics
