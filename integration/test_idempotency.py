"""Idempotency-Key end to end: a client whose request answered 503 while the broker
was down retries with the same key until 200, and exactly one row holds the id of that 200,
however many of its attempts reached the topic; also under the consumer's kill -9 and with
two command-service replicas answering in turn."""

import asyncio
import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest

from command_service.idempotency import command_id_for
from harness.processes import ServiceProcess
from harness.stack import Stack
from harness.waiting import eventually
from integration.faults import devstack
from ops.topic_reader import read_topic, topic_extent
from shared.kafka import dead_letter_topic
from shared.messages import decode_command
from shared.schema import TABLE
from shared.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
CLIENTS = 20
MOMENT = "2011-11-11T11:11:11.111111Z"


@dataclass
class Client:
    """Posts one command with its key, retrying (on whichever replica is next) until a 200."""

    key: str
    statuses: Counter[int | str] = field(default_factory=Counter)
    id: str | None = None

    async def run(self, http: httpx.AsyncClient, urls: list[str]) -> None:
        for url in itertools.cycle(urls):
            try:
                response = await http.post(
                    f"{url}/api/v1/timestamp/{MOMENT}", headers={"Idempotency-Key": self.key}
                )
            except httpx.TransportError as error:
                self.statuses[type(error).__name__] += 1
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 200:
                self.id = response.json()["id"]
                return
            assert response.status_code == 503, response.text
            assert int(response.headers["Retry-After"]) >= 1
            await asyncio.sleep(0.2)  # a client's pause; Retry-After would slow the test down


async def _topic_ids(settings: KafkaSettings, topic: str) -> Counter[str]:
    ids: Counter[str] = Counter()
    async for records in read_topic(settings, await topic_extent(settings, topic)):
        ids.update(str(decode_command(record.value).command_id) for record in records)
    return ids


async def _rows(db: asyncpg.Pool, ids: list[str]) -> list[tuple[str, str]]:
    rows = await db.fetch(
        f"SELECT id::text, event_timestamp FROM {TABLE} WHERE id = ANY($1::uuid[])", ids
    )
    return [(row[0], row[1].isoformat()) for row in rows]


@pytest.mark.parametrize("fault", ["broker", "broker+consumer-kill-9", "broker+two-replicas"])
async def test_retries_with_one_key_after_503_land_as_one_row(
    stack: Stack,
    db: asyncpg.Pool,
    kafka_settings: KafkaSettings,
    http: httpx.AsyncClient,
    services: list[ServiceProcess],
    fault: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    urls = [stack.command.url]
    if fault == "broker+two-replicas":
        replica = ServiceProcess(
            "command_service", {**stack.command.env, "SERVER_PORT": ""}
        ).start()
        services.append(replica)
        await replica.wait_healthy()
        urls.append(replica.url)
    clients = [Client(f"it-{uuid.uuid4()}-{n}") for n in range(CLIENTS)]
    await devstack("kafka.sh", "stop")
    try:
        running = [asyncio.create_task(c.run(http, urls)) for c in clients]

        async def all_refused() -> bool:
            return all(c.statuses[503] >= len(urls) for c in clients)

        await eventually(all_refused, 60, "every client to be answered 503 on each replica")
    finally:
        await devstack("kafka.sh", "start")
    if fault == "broker+consumer-kill-9":
        stack.consumers[0].kill()
        await stack.new_consumer().wait_healthy()
    await asyncio.wait_for(asyncio.gather(*running), 120)

    ids = [str(command_id_for(c.key.encode())) for c in clients]
    assert [c.id for c in clients] == ids  # the id of the 200 is the key's, on any replica

    async def all_rows() -> list[tuple[str, str]] | None:
        rows = await _rows(db, ids)
        return rows if len(rows) == len(ids) else None

    rows = await eventually(all_rows, 90, f"{len(ids)} rows")
    assert sorted(row[0] for row in rows) == sorted(ids)
    assert {row[1] for row in rows} == {"2011-11-11T11:11:11.111111+00:00"}
    in_topic = await _topic_ids(kafka_settings, stack.topic)
    assert set(in_topic) == set(ids), "a retry created a second command id"
    dead = await topic_extent(kafka_settings, dead_letter_topic(stack.topic))
    assert dead.size == 0, "a retry of the same request was dead-lettered"
    attempts = sum(sum(c.statuses.values()) for c in clients)
    with capsys.disabled():
        print(
            f"\n503-then-retry {fault}: {attempts} attempts, {sum(in_topic.values())} records "
            f"in the topic, {len(in_topic)} distinct ids, {len(rows)} rows; "
            f"e.g. {clients[0].key} -> {clients[0].id}"
        )


async def test_a_key_reused_for_another_timestamp_is_dead_lettered_not_merged(
    stack: Stack, db: asyncpg.Pool, kafka_settings: KafkaSettings, http: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": f"it-{uuid.uuid4()}"}
    url = f"{stack.command.url}/api/v1/timestamp"
    first = await http.post(f"{url}/2001-01-01T00:00:00Z", headers=headers)
    again = await http.post(f"{url}/2001-01-01T00:00:00Z", headers=headers)
    other = await http.post(f"{url}/2002-02-02T00:00:00Z", headers=headers)
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.json() == again.json() == other.json()

    async def dead_lettered() -> bool:
        extent = await topic_extent(kafka_settings, dead_letter_topic(stack.topic))
        return extent.size == 1

    await eventually(dead_lettered, 60, "the conflicting command in the dead-letter topic")
    dead = [
        record
        async for records in read_topic(
            kafka_settings, await topic_extent(kafka_settings, dead_letter_topic(stack.topic))
        )
        for record in records
    ]
    assert dict(dead[0].headers)["dlq.reason"] == b"conflict"
    assert await _rows(db, [first.json()["id"]]) == [
        (first.json()["id"], "2001-01-01T00:00:00+00:00")
    ]
