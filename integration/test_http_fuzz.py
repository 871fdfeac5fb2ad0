"""Structure-aware fuzz of the HTTP surface of all three services: whatever arrives, no 5xx,
no redirect, no stack trace or internal address, every error a problem+json.

HTTP_FUZZ_CASES requests (default 3,000; `make chaos` runs 10,000+) from HTTP_FUZZ_SEED, sent
HTTP_FUZZ_CONCURRENCY at a time. Every failure is collected, not only the first: the report
names how many and shows a few."""

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from integration.conftest import COMMAND_URL, CONSUMER_URL, QUERY_URL
from integration.fuzz_cases import Case, cases

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
CASES = int(os.environ.get("HTTP_FUZZ_CASES", "3000"))
SEED = int(os.environ.get("HTTP_FUZZ_SEED", "17"))
CONCURRENCY = int(os.environ.get("HTTP_FUZZ_CONCURRENCY", "8"))
BASES = {"command": COMMAND_URL, "consumer": CONSUMER_URL, "query": QUERY_URL}
# What only a leak can put in a body: the generator never sends these.
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|site-packages/"
    r"| object at 0x[0-9a-f]+|asyncpg\.|aiokafka\.|postgresql://|"
    + "|".join(
        re.escape(address)
        for address in (os.environ.get("KAFKA_BROKER"), os.environ.get("DB_URL"))
        if address
    )
)


def _verdict(response: httpx.Response) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if 300 <= status < 400:
        return f"redirect {status} to {response.headers.get('location')}"
    if (leak := LEAKS.search(response.text)) is not None:
        return f"leak {leak.group()!r}"
    if status >= 400 and response.headers.get("content-type") != "application/problem+json":
        return f"{status} as {response.headers.get('content-type')}"
    return None


async def _send(
    client: httpx.AsyncClient, todo: Iterator[Case], statuses: Counter[int], wrong: list[str]
) -> None:
    for case in todo:
        url = BASES[case.service] + case.target
        response = await client.request(case.method, url, headers=case.headers, content=case.body)
        statuses[response.status_code] += 1
        if (problem := _verdict(response)) is not None:
            wrong.append(
                f"{problem}: {case.method} {url[:300]} {case.headers} -> {response.text[:300]}"
            )


async def test_no_request_gets_a_5xx_a_leak_or_a_non_problem_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    todo = cases(SEED, CASES)  # one iterator shared by every sender
    statuses: Counter[int] = Counter()
    wrong: list[str] = []
    started = time.monotonic()
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(_send(client, todo, statuses, wrong) for _ in range(CONCURRENCY)))
    elapsed = time.monotonic() - started
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    with capsys.disabled():
        print(
            f"\nHTTP fuzz: {sum(statuses.values())} requests (seed {SEED}) in {elapsed:.1f}s, "
            f"{server_errors} x 5xx, {len(wrong)} wrong; statuses {dict(sorted(statuses.items()))}"
        )
    assert sum(statuses.values()) == CASES
    assert not wrong, f"{len(wrong)} wrong answers, e.g.:\n" + "\n".join(wrong[:15])
