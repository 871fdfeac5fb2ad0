"""Query service settings (SPEC §2, §5)."""

from pydantic import Field

from shared.settings import DatabaseSettings, ServiceSettings


class QuerySettings(ServiceSettings, DatabaseSettings):
    server_port: int = Field(default=7082, ge=1, le=65535)
