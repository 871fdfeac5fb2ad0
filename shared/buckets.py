"""Histogram buckets the services share, apart from shared.metrics: that one imports FastAPI,
which a process without HTTP (timestamp-ops replay) should not wait to import."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
