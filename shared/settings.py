"""Environment settings, under the original service's variable names, validated once at
start-up."""

from typing import Any, Literal, TypeVar, get_args

from pydantic import (
    Field,
    FilePath,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.db_url import SSLMODES, parse_db_url
from shared.redact import HIDDEN, redact

DEFAULT_TOPIC = "timestamp.command.v1"
DEFAULT_GROUP = "timestamp-consumer-service-1"

# The original service's variable names: a deployment of it works unchanged.
ORIGINAL_NAMES = (
    "SERVER_PORT",
    "LOG_LEVEL",
    "KAFKA_BROKER",
    "KAFKA_PUBLISH_TOPIC",
    "KAFKA_CONSUMER_TOPIC",
    "KAFKA_GROUP_ID",
    "DB_URL",
    "DB_USERNAME",
    "DB_PASSWORD",
)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
MIN_TOKEN_LENGTH = 16


class _Settings(BaseSettings):
    # One config for every part, so a class made of several parts keeps it.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)


class ServiceSettings(_Settings):
    """What every service has: where it listens and how it logs."""

    server_host: str = "0.0.0.0"
    server_port: int = Field(default=0, ge=1, le=65535)
    log_level: LogLevel = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    max_path_bytes: int = Field(default=2048, ge=64)
    max_header_bytes: int = Field(default=8192, ge=1024)
    max_body_bytes: int = Field(default=1024, ge=0)
    api_token: SecretStr | None = None
    fast_lane: bool = True
    # Worker processes sharing the port (shared/workers.py); the usual name for it.
    web_concurrency: int = Field(default=1, ge=1, le=64)

    @field_validator("api_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        """Empty means no token; a short one is guessable, so it is refused, not used."""
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"must be at least {MIN_TOKEN_LENGTH} characters (or empty for no token)"
            )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class KafkaSettings(_Settings):
    """How to reach the brokers."""

    kafka_broker: str = "localhost:9092"
    kafka_client_id: str = "timestamp-cqrs"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: FilePath | None = None
    kafka_ssl_certfile: FilePath | None = None
    kafka_ssl_keyfile: FilePath | None = None
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    @field_validator("kafka_broker")
    @classmethod
    def _hosts(cls, value: str) -> str:
        hosts = [host.strip() for host in value.split(",") if host.strip()]
        if not hosts or any(":" not in host for host in hosts):
            raise ValueError("expected comma-separated host:port pairs, e.g. localhost:9092")
        return ",".join(hosts)

    @property
    def bootstrap_servers(self) -> list[str]:
        return self.kafka_broker.split(",")


class DatabaseSettings(_Settings):
    """How to reach PostgreSQL. `DB_URL` may carry the original's `jdbc:` prefix and pgjdbc's
    parameters. What the URL says wins unless the DB_* variable of the same thing is set."""

    db_url: str = "postgresql://localhost:5432/postgres"
    db_username: str | None = None  # else the URL's user, else postgres
    db_password: SecretStr | None = None  # else the URL's (or PGPASSWORD, ~/.pgpass)
    db_sslmode: SslMode | None = None  # else the URL's sslmode, else libpq's default (prefer)
    db_sslrootcert: FilePath | None = None
    db_pool_min: int = Field(default=1, ge=0, le=100)
    db_pool_max: int = Field(default=10, ge=1, le=200)

    @field_validator("db_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        return parse_db_url(value).dsn

    @field_validator("db_sslmode")
    @classmethod
    def _no_downgrade(cls, value: SslMode | None, info: ValidationInfo) -> SslMode | None:
        url = info.data.get("db_url")
        asked = None if url is None else parse_db_url(url).sslmode
        if (
            value is not None
            and asked is not None
            and SSLMODES.index(value) < SSLMODES.index(asked)
        ):
            raise ValueError(f"{value} would weaken sslmode={asked} of DB_URL")
        return value


SettingsT = TypeVar("SettingsT", bound=BaseSettings)

# Read at start-up from the working directory when present (`make up` writes one for its
# devstack); a variable set in the environment wins over the file.
ENV_FILE: str | None = ".env"


class SettingsError(SystemExit):
    """Start-up stops with one line naming the offending variable."""


def load_settings(kind: type[SettingsT], **overrides: Any) -> SettingsT:
    """From the environment; `overrides` (command-line options) win over it."""
    try:
        return kind(_env_file=ENV_FILE, **overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        field = kind.model_fields.get(name)
        secret = field is not None and SecretStr in (field.annotation, *get_args(field.annotation))
        shown = HIDDEN if secret else redact(repr(first.get("input")))
        raise SettingsError(
            f"configuration error: {name.upper()}: {first['msg']} (got {shown})"
        ) from None
