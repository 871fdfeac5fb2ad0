"""`timestamp-ops dlq list | show | redrive`: the dead-letter topic for a person on call."""

import asyncio
from datetime import datetime
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from ops.dead_letter_records import (
    DeadLetter,
    dead_letter_at,
    dead_letters,
    parse_position,
    render_bytes,
)
from ops.options import TopicOption, settings_for
from ops.redrive import plan_redrive, redrive
from ops.terminal import console, progress_bar, quiet_logging
from shared.kafka import dead_letter_topic
from shared.settings import KafkaSettings
from shared.timestamps import InvalidTimestamp, parse_rfc3339

dlq_app = typer.Typer(
    help="Read and re-drive the dead-letter topic (TOPIC.dlq).", no_args_is_help=True
)
ReasonOption = Annotated[
    str | None,
    typer.Option(help="Only this dlq.reason (not_json, wrong_schema, conflict, …)"),
]


def _since(text: str | None) -> datetime | None:
    try:
        return None if text is None else parse_rfc3339(text)
    except InvalidTimestamp as error:
        raise typer.BadParameter(str(error), param_hint="--since") from None


async def _collect(
    settings: KafkaSettings, topic: str, reason: str | None, since: datetime | None = None
) -> list[DeadLetter]:
    return [letter async for letter in dead_letters(settings, topic, reason, since)]


@dlq_app.command("list")
def dlq_list(
    reason: ReasonOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only records dead-lettered at or after this RFC 3339 time")
    ] = None,
    topic: TopicOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """List the dead letters.

    A table of position (PARTITION:OFFSET, as `dlq show` takes it), reason, source
    topic/partition/offset, size of the original value and when it was dead-lettered."""
    quiet_logging()
    settings = settings_for(topic)
    dlq = dead_letter_topic(settings.kafka_consumer_topic)
    letters = asyncio.run(_collect(settings, dlq, reason, _since(since)))
    if as_json:
        for letter in letters:
            typer.echo(orjson.dumps(letter.to_json()).decode())
        return
    table = Table(title=f"{dlq}: {len(letters)} dead letters")
    for column in ("offset", "reason", "source", "size", "when"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for letter in letters:
        size = f"{letter.size:,}" + (" (truncated)" if letter.truncated else "")
        when = letter.when.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(letter.position), letter.reason, letter.source, size, when)
    Console(width=160).print(table)


@dlq_app.command("show")
def dlq_show(
    offset: Annotated[
        str, typer.Argument(help="PARTITION:OFFSET as `dlq list` shows it (or OFFSET alone)")
    ],
    topic: TopicOption = None,
    max_bytes: Annotated[int, typer.Option(min=1, help="Show at most this much of the value")] = (
        4096
    ),
) -> None:
    """Show one dead letter: headers, key and value.

    Printable text is shown as it is, anything else as hex, at most --max-bytes of it."""
    quiet_logging()
    try:
        partition, at = parse_position(offset)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="OFFSET") from None
    settings = settings_for(topic)
    dlq = dead_letter_topic(settings.kafka_consumer_topic)
    letter = asyncio.run(dead_letter_at(settings, dlq, partition, at))
    record = letter.record
    typer.echo(f"{dlq} {letter.position}  reason={letter.reason}  source={letter.source}")
    typer.echo(f"when: {letter.to_json()['when']}  size: {letter.size:,} bytes")
    typer.echo("headers:")
    for name, value in record.headers:
        typer.echo(f"  {render_bytes(name.encode(), 256)}: {render_bytes(value, 1024)}")
    typer.echo(f"key: {render_bytes(record.key, 1024)}")
    typer.echo(f"value: {render_bytes(record.value, max_bytes)}")


@dlq_app.command("redrive")
def dlq_redrive(
    reason: ReasonOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be re-driven; publish nothing")
    ] = False,
    topic: TopicOption = None,
) -> None:
    """Re-publish the dead letters that now decode to the command topic.

    Each goes with its original key and headers plus `dlq.redriven.from` (DLQ
    topic:partition:offset). Skipped: ids that are already a row with the same timestamp (so a
    second redrive publishes nothing) and what is still poison (truncated copies, values that
    do not decode, conflicts with a row). Exit 0 when nothing selected is still poison, 1 when
    some is (the counts are printed), 2 on an error."""
    quiet_logging()
    settings = settings_for(topic)
    dlq = dead_letter_topic(settings.kafka_consumer_topic)
    letters = asyncio.run(_collect(settings, dlq, reason))
    plan = asyncio.run(plan_redrive(settings, letters))
    if plan.redrive and not dry_run:
        with progress_bar() as bar:
            task = bar.add_task("redrive", total=len(plan.redrive), rate="")
            asyncio.run(
                redrive(
                    settings,
                    settings.kafka_consumer_topic,
                    plan.redrive,
                    lambda done: bar.update(task, completed=done),
                )
            )
    verb = "would redrive" if dry_run else "redriven"
    poison = ", ".join(f"{why} {n}" for why, n in sorted(plan.poison_by_reason().items()))
    typer.echo(
        f"{verb} {len(plan.redrive)}, already applied {len(plan.applied)}, "
        f"still poison {len(plan.poison)}" + (f" ({poison})" if poison else "")
    )
    for letter, why in plan.poison[:20]:
        console.print(f"  still poison: {letter.position} {why}")
    raise typer.Exit(1 if plan.poison else 0)
