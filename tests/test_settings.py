"""shared/settings.py and the service settings: the original's names, defaults, one-line errors."""

import ssl
from pathlib import Path
from typing import Any

import pytest

from command_service.settings import CommandSettings
from consumer_service.settings import ConsumerSettings
from query_service.settings import QuerySettings
from shared import settings as settings_module
from shared.db import connect_kwargs
from shared.settings import ORIGINAL_NAMES, DatabaseSettings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ORIGINAL_NAMES, "DB_SSLMODE", "DB_SSLROOTCERT", "API_TOKEN"):
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
        ("WEB_CONCURRENCY", "2"),  # the consumer scales by processes, not workers
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
    monkeypatch.setattr(settings_module, "ENV_FILE", ".env")
    monkeypatch.setenv("DB_URL", "postgresql://env-host:5434/ts")
    consumer = load_settings(ConsumerSettings)
    command = load_settings(CommandSettings)  # a DB_URL in the file is not its business
    assert consumer.bootstrap_servers == ["kafka-from-file:9092"]
    assert consumer.db_url == "postgresql://env-host:5434/ts"
    assert consumer.db_password is not None
    assert consumer.db_password.get_secret_value() == "from-the-file"
    assert command.kafka_publish_topic == "topic-from-file"


def test_a_settings_error_never_echoes_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_URL", "postgresq://app:S3cret-pw@db/ts")
    with pytest.raises(SettingsError) as caught:
        load_settings(QuerySettings)
    assert "S3cret-pw" not in str(caught.value)
    assert "app:***@db/ts" in str(caught.value)


def test_a_short_token_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "short-Secret")
    with pytest.raises(SettingsError) as caught:
        load_settings(QuerySettings)
    assert str(caught.value).startswith("configuration error: API_TOKEN:")
    assert "short-Secret" not in str(caught.value)


def test_an_empty_token_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "")
    assert load_settings(QuerySettings).api_token is None


def _connect(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return connect_kwargs(load_settings(DatabaseSettings))


def test_the_url_user_and_password_win_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_SSLMODE", raising=False)
    told = _connect(monkeypatch, DB_URL="postgresql://app:pw@db/ts")
    assert (told["user"], told["password"], told["ssl"]) == (None, None, None)  # asyncpg: the URL's
    assert _connect(monkeypatch, DB_URL="postgresql://db/ts")["user"] == "postgres"
    told = _connect(monkeypatch, DB_USERNAME="other", DB_PASSWORD="pw2")
    assert (told["user"], told["password"]) == ("other", "pw2")


def test_the_url_sslmode_is_kept_and_never_weakened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_SSLMODE", raising=False)
    url = "postgresql://db/ts?sslmode=verify-full"
    told = _connect(monkeypatch, DB_URL=url)
    assert told["ssl"] is None and "sslmode=verify-full" in told["dsn"]  # asyncpg applies it
    with pytest.raises(SettingsError, match="DB_SSLMODE: .*weaken sslmode=verify-full"):
        _connect(monkeypatch, DB_SSLMODE="prefer")
    assert isinstance(_connect(monkeypatch, DB_SSLMODE="verify-full")["ssl"], ssl.SSLContext)


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        ("jdbc:postgresql://db:5432/ts?ssl=true", "postgresql://db:5432/ts?sslmode=verify-full"),
        ("jdbc:postgresql://db/ts?ssl=true&sslmode=require", "postgresql://db/ts?sslmode=require"),
        ("jdbc:postgresql://db/ts?ssl=false", "postgresql://db/ts"),
        ("jdbc:postgresql://db/ts?ApplicationName=ts", "postgresql://db/ts?application_name=ts"),
        (
            "jdbc:postgresql://db/ts?currentSchema=app",
            "postgresql://db/ts?options=-c%20search_path%3Dapp",
        ),
        (
            "postgresql://db/ts?user=app&application_name=x",
            "postgresql://db/ts?user=app&application_name=x",
        ),
    ],
)
def test_jdbc_parameters_get_their_libpq_meaning(
    monkeypatch: pytest.MonkeyPatch, url: str, dsn: str
) -> None:
    monkeypatch.setenv("DB_URL", url)
    assert load_settings(DatabaseSettings).db_url == dsn


@pytest.mark.parametrize("parameter", ["loginTimeout=10", "search_path=x", "sslmode=sometimes"])
def test_a_parameter_we_cannot_honour_fails_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch, parameter: str
) -> None:
    monkeypatch.setenv("DB_URL", f"jdbc:postgresql://db/ts?{parameter}")
    with pytest.raises(SettingsError) as caught:
        load_settings(DatabaseSettings)
    message = str(caught.value)
    assert message.startswith("configuration error: DB_URL:") and "\n" not in message
    assert parameter.split("=")[0] in message
