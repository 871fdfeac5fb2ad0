"""`timestamp-ops`: what a person on call runs."""

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from ops.topics import TopicPlan, ensure_topics
from shared.settings import DEFAULT_TOPIC, KafkaSettings, load_settings

app = typer.Typer(help="Operate timestamp-cqrs: topics, replay, reconcile.", no_args_is_help=True)
topics_app = typer.Typer(help="Manage the command topic and its dead-letter topic.")
app.add_typer(topics_app, name="topics")
console = Console()


@topics_app.command("ensure")
def topics_ensure(
    topic: Annotated[str, typer.Option(envvar="KAFKA_PUBLISH_TOPIC", help="Command topic")] = (
        DEFAULT_TOPIC
    ),
    partitions: Annotated[int, typer.Option(min=1, help="Partitions per topic")] = 6,
    replication: Annotated[int, typer.Option(min=1, help="Replication factor")] = 1,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the broker")] = 60.0,
) -> None:
    """Create TOPIC (retention.ms=-1) and TOPIC.dlq if missing; report what exists."""
    settings = load_settings(KafkaSettings)
    plan = TopicPlan(topic, partitions, replication)
    outcome = asyncio.run(ensure_topics(settings, plan, wait))
    for name, state in outcome.items():
        console.print(f"{name}: {state}")


def main() -> None:
    app()
