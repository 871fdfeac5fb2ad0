"""What a command request does, whichever path serves it (the fast lane or FastAPI): parse the
timestamp, publish, and decide the answer."""

import time
from datetime import UTC, datetime

from starlette.types import Scope

from command_service.publisher import BrokerUnavailable
from shared.answers import Answer
from shared.correlation import request_correlation_id
from shared.ids import random_uuid
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
    state = scope["app"].state
    command = TimestampCommand(random_uuid(), moment, datetime.now(UTC))
    started = time.perf_counter()
    try:
        await state.publisher.publish(command, request_correlation_id(scope))
    except BrokerUnavailable as error:
        state.metrics.unavailable.inc()
        retry_after = str(state.settings.retry_after_s)
        return problem_answer(
            503, "Broker unavailable", str(error), headers={"Retry-After": retry_after}
        )
    state.metrics.produce_latency.observe(time.perf_counter() - started)
    state.metrics.acknowledged.inc()
    return Answer(200, b'{"id":"%s"}' % command.key())
