"""A service holds resident what it imports: with tracing off and JSON logs it imports neither
the OpenTelemetry SDK nor rich (which structlog would import); a console log still gets rich's
tracebacks. Each case in a fresh interpreter, as a service starts."""

import subprocess
import sys

SERVICES = ("command_service", "consumer_service", "query_service")


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_service_imports_neither_rich_nor_the_tracing_sdk() -> None:
    imports = "; ".join(f"import {service}.app" for service in SERVICES)
    loaded = _run(
        f"import sys; {imports}; import shared.server; "
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith(('rich.', "
        "'opentelemetry.sdk'))))"
    )
    assert loaded == "[]"


def test_console_logs_render_tracebacks_with_rich() -> None:
    formatter = _run(
        "import command_service.app, structlog.dev; "
        "from shared.logging import configure_logging; "
        "configure_logging('test', 'INFO', 'console'); "
        "print(type(structlog.dev.ConsoleRenderer().exception_formatter).__name__)"
    )
    assert formatter == "RichTracebackFormatter"
