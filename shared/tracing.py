"""OpenTelemetry traces, off unless the standard variables turn them on
(OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_TRACES_EXPORTER other than "none").

Decided once, at start-up (`start_tracing`): while off, `TRACER` is None, and every caller
checks that once when it is built, so an untraced request creates no span and attaches no
context. The W3C `traceparent` is read and written by hand (HTTP headers and Kafka record
headers alike); a malformed one is ignored, never an error."""

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:  # the SDK is imported once tracing is on: a process without it holds less
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

HEADER = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
TRACER: Tracer | None = None
_provider: "TracerProvider | None" = None


def wanted(environ: Mapping[str, str] = os.environ) -> str | None:
    """The exporter the environment asks for ("otlp", "console"), or None: tracing off."""
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none" or environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if exporter:
        return exporter
    return "otlp" if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else None


def start_tracing(service: str, exporter: "SpanExporter | None" = None) -> bool:
    """Turn tracing on when the environment asks for it, or with `exporter` (tests: spans
    exported synchronously). True when on."""
    global TRACER, _provider
    kind = wanted()
    if exporter is None and kind is None:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": service}
    provider = TracerProvider(resource=Resource.create(named))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter(kind or "otlp")))
    _provider, TRACER = provider, provider.get_tracer("timestamp-cqrs")
    return True


def stop_tracing() -> None:
    """Export what is still buffered; tracing is off afterwards."""
    global TRACER, _provider
    if _provider is not None:
        _provider.shutdown()
    TRACER, _provider = None, None


def _exporter(kind: str) -> "SpanExporter":
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if kind != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER={kind!r}: only otlp, console or none")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def parent_of(traceparent: str | None) -> SpanContext | None:
    """The remote span context a `traceparent` value names; None when absent or invalid."""
    if not traceparent:
        return None
    try:
        carried = _PROPAGATOR.extract({HEADER: traceparent})
        span_context = trace.get_current_span(carried).get_span_context()
    except Exception:  # noqa: BLE001 - a foreign header is only ever informative
        return None
    return span_context if span_context.is_valid else None


def traceparent(span: Span) -> str:
    span_context = span.get_span_context()
    flags = int(span_context.trace_flags)
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{flags:02x}"


def max_links() -> int:
    """How many links the SDK keeps on a span (OTEL_SPAN_LINK_COUNT_LIMIT, 128 by default)."""
    from opentelemetry.sdk.trace import SpanLimits

    limit = SpanLimits().max_links
    return 128 if limit is None else limit


def links_to(parents: Iterable[SpanContext | None]) -> list[Link]:
    return [Link(parent) for parent in parents if parent is not None]


@contextmanager
def span(
    tracer: Tracer,
    name: str,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: SpanContext | None = None,
    links: Sequence[Link] = (),
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[Span]:
    """A span, current while the block runs (logs written in it carry its ids). `parent` is a
    remote one (else the current span is); an exception escaping the block is recorded."""
    parent_context = (
        trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent is not None else None
    )
    started = tracer.start_span(name, parent_context, kind, attributes, links)
    with trace.use_span(started, end_on_exit=True, record_exception=True):
        yield started
