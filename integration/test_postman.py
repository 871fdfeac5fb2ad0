"""The Postman collection (what the original's clients run) passes against our services.

Runs `devstack/newman.sh` (pinned newman, devstack/newman/package-lock.json) against the
services at the collection's default URLs: the suite runs with the platform up (`make up`,
`make test`). The URLs follow COMMAND_URL / CONSUMER_URL / QUERY_URL like the rest of the
suite.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from integration.conftest import COMMAND_URL, CONSUMER_URL, QUERY_URL

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not on PATH: cannot install newman")
def test_postman_collection_passes_with_newman() -> None:
    command = [
        "bash",
        str(ROOT / "devstack" / "newman.sh"),
        "--reporters",
        "cli",
        "--env-var",
        f"commandUrl={COMMAND_URL}",
        "--env-var",
        f"consumerUrl={CONSUMER_URL}",
        "--env-var",
        f"queryUrl={QUERY_URL}",
    ]
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        pytest.fail(f"newman did not finish within 300 s:\n{output[-20000:]}")
    assert result.returncode == 0, (
        f"newman exited {result.returncode}\n--- stdout ---\n{result.stdout[-20000:]}"
        f"\n--- stderr ---\n{result.stderr[-5000:]}"
    )
    assert "AssertionError" not in result.stdout
