"""What every `timestamp-ops` command shares on the terminal: stderr console, quiet library
logging, the progress bar."""

import logging

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from shared.logging import configure_logging

console = Console(stderr=True)


def quiet_logging() -> None:
    configure_logging("timestamp-ops", "WARNING", "console")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # outcomes are reported here


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
        refresh_per_second=4,
    )
