"""Kafka client arguments common to producers, consumers and admin clients."""

from pathlib import Path
from typing import Any, TypeAlias

from aiokafka.helpers import create_ssl_context
from aiokafka.structs import ConsumerRecord

from shared.settings import KafkaSettings

KafkaRecord: TypeAlias = ConsumerRecord[bytes, bytes]  # a record as consumed: raw key and value


def client_kwargs(settings: KafkaSettings, role: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": f"{settings.kafka_client_id}-{role}",
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = create_ssl_context(
            cafile=_path(settings.kafka_ssl_cafile),
            certfile=_path(settings.kafka_ssl_certfile),
            keyfile=_path(settings.kafka_ssl_keyfile),
        )
    if settings.kafka_security_protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        kwargs |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": None if password is None else password.get_secret_value(),
        }
    return kwargs


def _path(path: Path | None) -> str | None:
    return None if path is None else str(path)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
