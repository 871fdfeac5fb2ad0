"""`Retry-After` from what the publisher has seen of the broker, not a constant.

The producer reconnects on its own every `retry_backoff_ms` (aiokafka: 100 ms), so a retry
is accepted as soon as the broker is back; the question is only when that will be. With no
outage in progress (a single slow acknowledgement) the answer is the shortest HTTP can say,
1 s. During an outage, one that has lasted d seconds so far is expected to last about as long
again (a leader election: about a second; a broker restart: several), so the answer grows
with it, up to RETRY_AFTER_S."""

import math


class OutageClock:
    def __init__(self, cap_s: int) -> None:
        self._cap_s = cap_s
        self._since: float | None = None  # when the first failed batch since the last ack left

    def delivered(self) -> None:
        self._since = None

    def failed(self, sent_at: float) -> None:
        if self._since is None or sent_at < self._since:
            self._since = sent_at

    def retry_after_s(self, now: float) -> int:
        if self._since is None:
            return 1
        return max(1, min(self._cap_s, math.ceil(now - self._since)))
