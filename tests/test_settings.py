"""shared/settings.py and the service settings: SPEC §2 names, defaults, one-line errors."""

from pathlib import Path

import pytest

from command_service.settings import CommandSettings
from consumer_service.settings import ConsumerSettings
from query_service.settings import QuerySettings
from shared.settings import ORIGINAL_NAMES, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ORIGINAL_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_follow_the_spec() -> None:
    command, consumer, query = CommandSettings(), ConsumerSettings(), QuerySettings()
    assert (command.server_port, consumer.server_port, query.server_port) == (7080, 7081, 7082)
    assert command.kafka_publish_topic == consumer.kafka_consumer_topic == "timestamp.command.v1"
    assert consumer.kafka_group_id == "timestamp-consumer-service-1"
    assert command.bootstrap_servers == ["localhost:9092"]
    assert query.db_url == "postgresql://localhost:5432/postgres"


def test_original_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVER_PORT", "9000")
    monkeypatch.setenv("KAFKA_BROKER", "a:1, b:2")
    monkeypatch.setenv("KAFKA_GROUP_ID", "rebuild-2")
    monkeypatch.setenv("DB_URL", "jdbc:postgresql://db:6543/ts")
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = ConsumerSettings()
    assert settings.server_port == 9000
    assert settings.bootstrap_servers == ["a:1", "b:2"]
    assert settings.kafka_group_id == "rebuild-2"
    assert settings.db_url == "postgresql://db:6543/ts"
    assert settings.log_level == "DEBUG"
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SERVER_PORT", "abc"),
        ("SERVER_PORT", "70000"),
        ("DB_URL", "mysql://x/y"),
        ("KAFKA_BROKER", "localhost"),
        ("LOG_LEVEL", "chatty"),
    ],
)
def test_a_bad_setting_fails_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(ConsumerSettings)
    message = str(caught.value)
    assert message.startswith(f"configuration error: {name}:")
    assert "\n" not in message


def test_start_up_reads_dot_env_of_the_working_directory_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "KAFKA_BROKER=kafka-from-file:9092\nDB_URL=postgresql://file-host:5433/ts\n"
        "DB_PASSWORD=from-the-file\nKAFKA_PUBLISH_TOPIC=topic-from-file\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DB_URL", "postgresql://env-host:5434/ts")
    consumer = load_settings(ConsumerSettings)
    command = load_settings(CommandSettings)  # a DB_URL in the file is not its business
    assert consumer.bootstrap_servers == ["kafka-from-file:9092"]
    assert consumer.db_url == "postgresql://env-host:5434/ts"
    assert consumer.db_password.get_secret_value() == "from-the-file"
    assert command.kafka_publish_topic == "topic-from-file"
