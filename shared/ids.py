"""Random (version 4) UUIDs, made in C: `uuid.uuid4()` costs several microseconds per call in
pure Python, and every command and every request without a correlation id needs one."""

import os
from uuid import UUID

from asyncpg.pgproto.pgproto import UUID as FastUUID  # a uuid.UUID subclass written in C


def random_uuid() -> UUID:
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    uuid: UUID = FastUUID(bytes(raw))
    return uuid


def parse_uuid(text: str) -> UUID:
    """A UUID from its text, parsed in C; ValueError when it is not one."""
    uuid: UUID = FastUUID(text)
    return uuid
