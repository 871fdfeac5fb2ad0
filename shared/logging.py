"""structlog configured once: JSON lines on stdout, console rendering on a terminal."""

import io
import logging
import sys
from typing import Any

import orjson
import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

from shared.without_rich import console_tracebacks


def _serialize(event: EventDict, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def _service_adder(service: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("service", service)
        return event

    return add_service


def add_trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The ids of the span the line is written in, if any."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event["trace_id"] = f"{span_context.trace_id:032x}"
        event["span_id"] = f"{span_context.span_id:016x}"
    return event


def configure_logging(
    service: str, level: str = "INFO", fmt: str = "auto", traced: bool = False
) -> None:
    """Route structlog and the standard library (uvicorn, aiokafka) to one renderer.
    `traced`: tracing is on, and lines written inside a span carry its ids."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # a log line is visible when written
    console = fmt == "console" or (fmt == "auto" and sys.stdout.isatty())
    if console:
        console_tracebacks()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _service_adder(service),
        *([add_trace_ids] if traced else []),
    ]
    renderer: Processor = (
        structlog.dev.ConsoleRenderer()
        if console
        else structlog.processors.JSONRenderer(serializer=_serialize)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
