"""structlog imported without rich; rich only once a console is rendered.

structlog imports rich, when it is installed (the ops CLI's tables need it), for its console
renderer's tracebacks: 3.5 MB resident in a service that writes JSON lines. A service package
calls `import_structlog_without_rich()` before anything imports structlog, so that import sees
rich as absent; `console_tracebacks()` gives the console renderer rich's tracebacks back."""

import importlib
import sys


def import_structlog_without_rich() -> None:
    if "structlog" in sys.modules or "rich" in sys.modules:
        return  # imported already, or rich is loaded anyway: structlog as it comes
    sys.modules["rich"] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        import structlog  # noqa: F401
    finally:
        del sys.modules["rich"]


def console_tracebacks() -> None:
    """structlog's console renderer as it is when rich is there at import: rich's tracebacks."""
    import structlog.dev

    if getattr(structlog.dev, "rich", None) is None:  # imported while rich was kept out
        importlib.reload(structlog.dev)
