"""A stack of our services on a topic of its own: a command service publishing to it, consumers
applying it as one group, and a query service when reads are wanted."""

from dataclasses import dataclass, field
from typing import Self

from harness.processes import ServiceProcess


def consumer_env(topic: str, group: str, **env: str) -> dict[str, str]:
    return {"KAFKA_CONSUMER_TOPIC": topic, "KAFKA_GROUP_ID": group, **env}


@dataclass
class Stack:
    topic: str
    group: str
    command: ServiceProcess
    consumers: list[ServiceProcess] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # every consumer's (KAFKA_BROKER, DB_URL, …)
    query: ServiceProcess | None = None

    def new_consumer(self, name: str | None = None, **env: str) -> ServiceProcess:
        """A consumer of the stack's topic and group, started (not yet awaited)."""
        settings = consumer_env(self.topic, self.group, **{**self.env, **env})
        consumer = ServiceProcess("consumer_service", settings, name).start()
        self.consumers.append(consumer)
        return consumer

    @property
    def post_url(self) -> str:
        return f"{self.command.url}/app"

    @property
    def query_url(self) -> str:
        assert self.query is not None, "this stack has no query service"
        return self.query.url

    @property
    def services(self) -> list[ServiceProcess]:
        return [self.command, *self.consumers, *([self.query] if self.query else [])]

    def by_role(self) -> dict[str, ServiceProcess]:
        """command, consumer, query: for a stack of one consumer."""
        return {service.role: service for service in self.services}

    def start(self) -> Self:
        """Start those of its processes not started yet."""
        for service in self.services:
            if service.process is None:
                service.start()
        return self

    async def wait_ready(self, timeout: float) -> None:
        for service in self.services:
            await service.wait_healthy(timeout, "/ready")

    def stop(self) -> None:
        for service in self.services:
            service.stop()
