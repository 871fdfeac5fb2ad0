"""shared/redact.py: no password survives, everything else does."""

import pytest

from shared.redact import redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://app:S3cret@db/ts", "postgresql://app:***@db/ts"),
        ("postgresq://app:S3cret@db/ts", "postgresq://app:***@db/ts"),
        (
            "jdbc:postgresql://db/ts?user=app&password=S3cret",
            "jdbc:postgresql://db/ts?user=app&password=***",
        ),
        (
            "postgresql://db/ts?sslpassword=S3cret&sslmode=require",
            "postgresql://db/ts?sslpassword=***&sslmode=require",
        ),
        ("into postgresql://:S3cret@db:5432/ts now", "into postgresql://:***@db:5432/ts now"),
        ("postgresql://app@db/ts", "postgresql://app@db/ts"),
        ("localhost:9092", "localhost:9092"),
    ],
)
def test_passwords_are_hidden(text: str, shown: str) -> None:
    assert redact(text) == shown
