"""Kafka client arguments common to producers, consumers and admin clients."""

from typing import Any

from shared.settings import KafkaSettings


def client_kwargs(settings: KafkaSettings, role: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": f"{settings.kafka_client_id}-{role}",
    }


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
