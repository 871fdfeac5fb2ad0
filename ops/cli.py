"""`timestamp-ops`: what a person on call runs."""

import asyncio
import time
from pathlib import Path
from typing import Annotated

import asyncpg
import orjson
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from ops.databases import ensure_database
from ops.dlq_cli import dlq_app
from ops.options import DbUrlOption, TopicOption, settings_for
from ops.reconcile import Reconciliation, reconcile
from ops.replay import CONNECTIONS, GroupInUse, ReplayProgress, replay, reset_group
from ops.terminal import console, progress_bar, quiet_logging
from ops.topics import DEFAULT_PARTITIONS, TopicPlan, ensure_topics
from shared.redact import redact
from shared.settings import DEFAULT_TOPIC, KafkaSettings, load_settings

app = typer.Typer(
    help="Operate timestamp-cqrs: topics, replay, reconcile, dead letters, the topic contract.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
topics_app = typer.Typer(help="Manage the command topic and its dead-letter topic.")
app.add_typer(topics_app, name="topics")
app.add_typer(dlq_app, name="dlq")


@topics_app.command("ensure")
def topics_ensure(
    topic: Annotated[str, typer.Option(envvar="KAFKA_PUBLISH_TOPIC", help="Command topic")] = (
        DEFAULT_TOPIC
    ),
    partitions: Annotated[
        int, typer.Option(min=1, help="Partitions per topic")
    ] = DEFAULT_PARTITIONS,
    replication: Annotated[int, typer.Option(min=1, help="Replication factor")] = 1,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the broker")] = 60.0,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Set retention.ms and min.insync.replicas of existing topics that differ"
        ),
    ] = False,
) -> None:
    """Create TOPIC (retention.ms=-1) and TOPIC.dlq if missing. Check existing ones: partition
    count, retention.ms=-1 and, from replication 3 on, min.insync.replicas=2. Exit 1 naming
    what differs (a partition count is never changed: that moves keys)."""
    settings = load_settings(KafkaSettings)
    plan = TopicPlan(topic, partitions, replication)
    outcome = asyncio.run(ensure_topics(settings, plan, wait, fix))
    for name, state in outcome.items():
        typer.echo(f"{name}: {state}")
    raise typer.Exit(0 if all(state.ok for state in outcome.values()) else 1)


@app.command("replay")
def replay_command(
    group: Annotated[
        str | None,
        typer.Option(help="Replay through this new consumer group [default: a fresh one]"),
    ] = None,
    reset_group_: Annotated[
        bool,
        typer.Option(
            "--reset-group",
            help="Reset the service's group (KAFKA_GROUP_ID) to the "
            "earliest offsets and replay through it; refused while it has members",
        ),
    ] = False,
    topic: TopicOption = None,
    db_url: DbUrlOption = None,
    batch: Annotated[int, typer.Option(min=1, help="Records per transaction")] = 10_000,
    connections: Annotated[
        int, typer.Option(min=1, help="Database connections writing at once, one consumer each")
    ] = CONNECTIONS,
) -> None:
    """Rebuild the read model from the topic's earliest offset. Exits 0 once caught up with the
    end offsets taken at start; safe to re-run (writes are idempotent)."""
    if group and reset_group_:
        raise typer.BadParameter("use either --group or --reset-group")
    quiet_logging()
    chosen = None if reset_group_ else (group or f"timestamp-replay-{int(time.time())}")
    settings = settings_for(topic, db_url, chosen).model_copy(update={"batch_max_records": batch})
    if asyncio.run(ensure_database(settings)):
        console.print(f"created database {redact(settings.db_url)}")
    if reset_group_:
        try:
            asyncio.run(reset_group(settings, settings.kafka_group_id))
        except GroupInUse as error:
            console.print(f"[red]refused:[/red] {error}")
            raise typer.Exit(2) from None
    console.print(
        f"replaying {settings.kafka_consumer_topic} through group "
        f"{settings.kafka_group_id!r} into {redact(settings.db_url)}"
    )
    with progress_bar() as bar:
        task = bar.add_task("replay", total=None, rate="")

        def report(progress: ReplayProgress) -> None:
            bar.update(
                task,
                total=progress.total,
                completed=progress.done,
                rate=f"{progress.rate():,.0f} records/s",
            )

        result = asyncio.run(replay(settings, settings.kafka_group_id, report, connections))
    elapsed = time.monotonic() - result.started
    typer.echo(
        f"replayed {result.done} records in {elapsed:.1f} s ({result.rate():,.0f} records/s)"
    )


@app.command("reconcile")
def reconcile_command(
    topic: TopicOption = None,
    db_url: DbUrlOption = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="Consumer group whose committed offsets say what the table must already hold "
            "[env KAFKA_GROUP_ID, default the service's]"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Compare the topic, up to the end offsets taken at start, with the table. Records the
    group has not applied yet are lag, rows of records past those offsets arrived later: neither
    is a difference. Exit 0 when they agree, 1 naming the ids when they do not."""
    quiet_logging()
    settings = settings_for(topic, db_url, group)
    with progress_bar() as bar:
        task = bar.add_task("read topic", total=None, rate="")

        def report(done: int, total: int) -> None:
            bar.update(task, total=total, completed=done)

        result = asyncio.run(
            reconcile(
                settings, settings, settings.kafka_consumer_topic, settings.kafka_group_id, report
            )
        )
    if as_json:
        typer.echo(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        _print_reconciliation(result)
    raise typer.Exit(0 if result.agrees else 1)


def _print_reconciliation(result: Reconciliation) -> None:
    table = Table(title=f"topic {result.topic} vs table", show_header=False)
    for label, value in [
        ("records in topic", result.topic_records),
        ("commands", result.commands),
        ("distinct ids", result.distinct_ids),
        ("poison records", result.poison),
        ("dead-letter records", result.dead_letters),
        ("rows in table", result.rows),
        ("ids missing from the table", result.missing),
        ("ids not applied yet (lag)", result.lag),
        ("rows of records after the snapshot", result.arrived_later),
        ("rows not in the topic", result.extra),
        ("rows that differ", result.differing),
    ]:
        table.add_row(label, f"{value:,}")
    Console().print(table)
    for name, ids in result.samples.items():
        if ids and name in ("missing", "extra", "differing"):
            typer.echo(f"{name}: {', '.join(ids)}")
    typer.echo("AGREE" if result.agrees else "DISAGREE")


@app.command("asyncapi")
def asyncapi_command(
    output: Annotated[
        str, typer.Argument(metavar="OUTPUT", help="File to write; - prints it", show_default=False)
    ] = "-",
) -> None:
    """Print the AsyncAPI document of the command topic and its dead-letter topic, built from
    the code, or write it to OUTPUT (docs/asyncapi.json is the checked-in one)."""
    from ops.asyncapi import render_asyncapi  # here: every other command would wait for it

    text = render_asyncapi()
    if output == "-":
        typer.echo(text.encode(), nl=False)
        return
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def main() -> None:
    try:
        app()
    except (LookupError, KafkaError, OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]error:[/red] {type(error).__name__}: {redact(str(error))}")
        raise SystemExit(2) from None
