"""command_service.retry_after: Retry-After grows with the outage seen so far."""

from command_service.retry_after import OutageClock


def test_without_an_outage_retry_at_once() -> None:
    assert OutageClock(5).retry_after_s(now=100.0) == 1


def test_an_outage_suggests_as_long_again_up_to_the_cap() -> None:
    clock = OutageClock(5)
    clock.failed(sent_at=100.0)
    clock.failed(sent_at=102.0)  # a later failure does not restart the outage
    assert [clock.retry_after_s(now) for now in (100.2, 102.0, 103.5, 200.0)] == [1, 2, 4, 5]


def test_an_acknowledged_batch_ends_the_outage() -> None:
    clock = OutageClock(5)
    clock.failed(sent_at=100.0)
    clock.delivered()
    assert clock.retry_after_s(now=110.0) == 1
