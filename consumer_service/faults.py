"""The faults the fault suite (integration/test_faults.py) injects into a real consumer
process. The runtime installs one only when FAULT_CRASH_AFTER_DB_COMMIT asks for it."""

import os

from consumer_service.loop import AfterDbCommit, nothing
from consumer_service.settings import ConsumerSettings

CRASH_EXIT_CODE = 70


class CrashAfterDbCommit:
    """The process dies right after the `batches`th batch's database commit, before its
    offsets are committed: the window between the two commits."""

    def __init__(self, batches: int) -> None:
        self._batches = batches
        self._committed = 0

    def __call__(self) -> None:
        self._committed += 1
        if self._committed == self._batches:
            os._exit(CRASH_EXIT_CODE)


def after_db_commit(settings: ConsumerSettings) -> AfterDbCommit:
    """The fault the settings ask for, or nothing."""
    if settings.fault_crash_after_db_commit:
        return CrashAfterDbCommit(settings.fault_crash_after_db_commit)
    return nothing
