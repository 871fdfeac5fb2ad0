"""Options several `timestamp-ops` commands take, and the settings they resolve to."""

from typing import Annotated

import typer

from consumer_service.settings import ConsumerSettings
from shared.settings import DEFAULT_TOPIC, load_settings

TopicOption = Annotated[
    str | None,
    typer.Option(help="Command topic [env KAFKA_CONSUMER_TOPIC, default " + DEFAULT_TOPIC + "]"),
]
DbUrlOption = Annotated[
    str | None, typer.Option("--db-url", help="Target database (created if missing) [env DB_URL]")
]


def settings_for(
    topic: str | None, db_url: str | None = None, group: str | None = None
) -> ConsumerSettings:
    overrides = {"kafka_consumer_topic": topic, "db_url": db_url, "kafka_group_id": group}
    update = {key: value for key, value in overrides.items() if value is not None}
    return load_settings(ConsumerSettings, **update)
