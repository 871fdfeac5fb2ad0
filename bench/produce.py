"""Raw aiokafka producer loop with the command service's settings (acks=all, idempotent,
linger 1 ms): the Kafka ceiling, and how the P2/P3 topics are pre-loaded.

    python -m bench.produce --topic T --count N [--seed S] [--stream]

Prints one BENCHJSON line: {"messages", "seconds", "msgs_per_s", "value_bytes"}.
Without --stream the messages are encoded before the clock starts (a pure send ceiling);
with --stream they are generated inside the loop (for big preloads; lower rate).
"""

import argparse
import asyncio
import time
import uuid
from collections.abc import Iterable, Iterator

import uvloop
from aiokafka import AIOKafkaProducer

from bench.commands import commands
from bench.jsonout import emit
from shared.correlation import KAFKA_HEADER
from shared.kafka import client_kwargs
from shared.settings import KafkaSettings

Message = tuple[bytes, bytes]


def _messages(count: int, seed: int) -> Iterator[Message]:
    for command in commands(count, seed):
        yield command.key(), command.encode()


async def produce(topic: str, messages: Iterable[Message]) -> tuple[int, float, int]:
    producer = AIOKafkaProducer(
        **client_kwargs(KafkaSettings(), "bench"),
        acks="all",
        enable_idempotence=True,
        linger_ms=1,
        request_timeout_ms=30_000,
    )
    await producer.start()
    headers = [(KAFKA_HEADER, str(uuid.uuid4()).encode())]
    try:
        pending: list[asyncio.Future[object]] = []
        sent = size = 0
        started = time.perf_counter()
        for key, value in messages:
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            sent += 1
            size = len(value)
        await asyncio.gather(*pending)
        return sent, time.perf_counter() - started, size
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    source: Iterable[Message] = _messages(args.count, args.seed)
    if not args.stream:
        source = list(source)
    sent, seconds, size = uvloop.run(produce(args.topic, source))
    emit(
        {
            "messages": sent,
            "seconds": seconds,
            "msgs_per_s": sent / seconds,
            "value_bytes": size,
            "streamed": args.stream,
        }
    )


if __name__ == "__main__":
    main()
