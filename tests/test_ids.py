"""shared/ids.py: random UUIDs made in C are ordinary version-4 UUIDs."""

import uuid

from shared.ids import random_uuid


def test_random_uuids_are_version_4_rfc_4122_and_distinct() -> None:
    made = [random_uuid() for _ in range(1000)]
    assert len(set(made)) == len(made)
    for value in made:
        parsed = uuid.UUID(str(value))
        assert isinstance(value, uuid.UUID) and parsed == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
