"""The Kafka bindings: of a topic as `timestamp-ops topics ensure` creates it, of a message's
key, and of the consumer group."""

from typing import Any

from ops.topics import KEEP_FOREVER, TopicPlan
from shared.settings import DEFAULT_GROUP, DEFAULT_TOPIC

KAFKA_BINDING_VERSION = "0.5.0"


def topic_binding(topic: str) -> dict[str, Any]:
    plan = TopicPlan(DEFAULT_TOPIC)  # `timestamp-ops topics ensure` creates both topics alike
    return {
        "topic": topic,
        "partitions": plan.partitions,
        "topicConfiguration": {"retention.ms": int(KEEP_FOREVER["retention.ms"])},
        "bindingVersion": KAFKA_BINDING_VERSION,
    }


def key_binding(key: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "bindingVersion": KAFKA_BINDING_VERSION}


def group_binding() -> dict[str, Any]:
    return {
        "groupId": {
            "type": "string",
            "default": DEFAULT_GROUP,
            "description": "`KAFKA_GROUP_ID`.",
        },
        "bindingVersion": KAFKA_BINDING_VERSION,
    }
