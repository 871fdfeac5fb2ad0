"""Query service settings: the shared ones, the longest `?wait=` and the largest page."""

from pydantic import Field

from shared.settings import DatabaseSettings, ServiceSettings


class QuerySettings(ServiceSettings, DatabaseSettings):
    server_port: int = Field(default=7082, ge=1, le=65535)
    max_wait_s: float = Field(default=30.0, ge=0, le=300)
    page_max_limit: int = Field(default=1000, ge=1, le=10_000)
