"""What a command request does, whichever path serves it (the fast lane or FastAPI): parse the
timestamp, publish, and decide the answer."""

import time
from datetime import UTC, datetime

from starlette.types import Scope

from command_service.idempotency import InvalidIdempotencyKey, command_id_for, idempotency_key
from command_service.publisher import BrokerUnavailable
from command_service.runtime import CommandRuntime
from shared.answers import Answer
from shared.correlation import request_correlation_id
from shared.messages import TimestampCommand
from shared.problems import problem_answer
from shared.timestamps import InvalidTimestamp, parse_rfc3339


async def accept(scope: Scope, timestamp: str) -> Answer:
    """`timestamp` as the path gives it; "" for the routes without one: the current UTC time."""
    if timestamp:
        try:
            moment = parse_rfc3339(timestamp)
        except InvalidTimestamp as error:
            return problem_answer(400, "Invalid timestamp", str(error))
    else:
        moment = datetime.now(UTC)
    try:
        command_id = command_id_for(idempotency_key(scope["headers"]))
    except InvalidIdempotencyKey as error:
        return problem_answer(400, "Invalid Idempotency-Key", str(error))
    runtime: CommandRuntime = scope["state"]["runtime"]
    command = TimestampCommand(command_id, moment, datetime.now(UTC))
    started = time.perf_counter()
    try:
        await runtime.publisher.publish(command, request_correlation_id(scope))
    except BrokerUnavailable as error:
        return unavailable(runtime, error)
    runtime.metrics.produce_latency.observe(time.perf_counter() - started)
    runtime.metrics.acknowledged.inc()
    return Answer(200, b'{"id":"%s"}' % command.key())


def unavailable(runtime: CommandRuntime, error: BrokerUnavailable) -> Answer:
    """Kafka did not acknowledge in time: 503, and when to try again."""
    runtime.metrics.unavailable.inc()
    retry_after = str(runtime.publisher.retry_after_s())
    return problem_answer(
        503, "Broker unavailable", str(error), headers={"Retry-After": retry_after}
    )
