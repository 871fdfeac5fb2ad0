"""shared/workers.py: the supervisor forwards the stop signal and reports how its workers
stopped. Run in a child interpreter, since the supervisor installs signal handlers."""

import signal
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from shared.workers import Supervisor

    def work():
        if {exit_on_signal} != 0:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit({exit_on_signal}))
        os.write(1, b"ready\\n")  # one write: workers print at once
        while True:
            signal.pause()

    sys.exit(Supervisor({count}, work).run())
    """
)


def _supervise(count: int, exit_on_signal: int) -> int:
    script = SCRIPT.format(count=count, exit_on_signal=exit_on_signal)
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as supervisor:
        assert supervisor.stdout is not None
        for _ in range(count):
            assert supervisor.stdout.readline() == "ready\n"
        supervisor.send_signal(signal.SIGTERM)
        return supervisor.wait(30)


@pytest.mark.parametrize("count", [1, 3])
def test_workers_stopped_by_the_signal_exit_zero(count: int) -> None:
    assert _supervise(count, exit_on_signal=0) == 0


def test_a_worker_failing_to_stop_cleanly_fails_the_service() -> None:
    assert _supervise(2, exit_on_signal=3) == 1


def test_no_worker_is_refused() -> None:
    from shared.workers import Supervisor

    with pytest.raises(ValueError, match="at least one worker"):
        Supervisor(0, lambda: None)
