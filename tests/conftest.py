"""Unit tests see only the environment they set: not the checkout's .env (`make up` writes one)."""

import pytest

from shared import settings


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "ENV_FILE", None)
