"""What the containers of `docker compose up` prove, against a running compose stack.

`make compose-test` (devstack/compose_test.sh) brings the stack up and runs this module with
COMPOSE_TEST=1; the HTTP URLs follow COMMAND_URL / QUERY_URL like the rest of the suite. The
stop-and-restart test runs last: it leaves the stack up again, healthy.
"""

import contextlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from harness.waiting import wait_until
from integration.conftest import COMMAND_URL, QUERY_URL
from shared.schema import TABLE

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("command", "consumer", "query")
GRACE_SECONDS = 30  # stop_grace_period in docker-compose.yml
APP_IMAGE = "timestamp-cqrs:local"

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("COMPOSE_TEST") != "1", reason="needs a compose stack: make compose-test"
    ),
]


def compose(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "compose", *args], cwd=ROOT, capture_output=True, text=True, check=check
    )


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def container(service: str) -> str:
    return compose("ps", "-aq", service).stdout.strip()


def post(client: httpx.Client) -> str:
    response = client.post(f"{COMMAND_URL}/api/v1/timestamp/2009-09-28T19:03:12.5+02:00")
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def read(client: httpx.Client, record_id: str) -> dict[str, str] | None:
    """The record, waiting up to 10 s for it to appear (`?wait=10`); None when it does not."""
    response = client.get(f"{QUERY_URL}/api/v1/timestamp/{record_id}", params={"wait": 10})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, f"{record_id}: {response.status_code} {response.text}"
    body: dict[str, str] = response.json()
    return body


@pytest.mark.parametrize("service", SERVICES)
def test_service_runs_as_uid_10001_on_a_read_only_root(service: str) -> None:
    assert compose("exec", "-T", service, "id", "-u").stdout.strip() == "10001"
    state = json.loads(docker("inspect", container(service)))[0]
    assert state["HostConfig"]["ReadonlyRootfs"] is True
    written = compose("exec", "-T", service, "touch", "/app/probe", check=False)
    assert written.returncode != 0 and "Read-only file system" in written.stderr


def test_post_then_get_wait_reads_it_back() -> None:
    with httpx.Client(timeout=30) as client:
        record_id = post(client)
        body = read(client, record_id)
    assert body is not None
    assert body["id"] == body["command_id"] == record_id
    assert body["event_timestamp"] == "2009-09-28T17:03:12.5Z"


def test_dr_replay_through_the_images_timestamp_ops() -> None:
    with httpx.Client(timeout=30) as client:
        ids = [post(client) for _ in range(20)]
        before = {record_id: read(client, record_id) for record_id in ids}
        psql = ["exec", "-T", "postgres", "psql", "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        compose(*psql, "-c", f"TRUNCATE {TABLE}")
        replayed = compose("run", "--rm", "--no-deps", "-T", "consumer", "timestamp-ops", "replay")
        print(replayed.stdout.strip().splitlines()[-1])
        reconciled = compose(
            "run", "--rm", "--no-deps", "-T", "consumer", "timestamp-ops", "reconcile", "--json"
        )
        assert json.loads(reconciled.stdout)["agrees"] is True
        for record_id, old in before.items():
            new = read(client, record_id)
            assert new is not None and old is not None
            for field in ("id", "command_id", "event_timestamp", "accepted_at"):
                assert new[field] == old[field]


def test_app_image_size_and_installed_versions_match_the_lock() -> None:
    size = int(docker("image", "inspect", "-f", "{{ .Size }}", APP_IMAGE))
    run = ["run", "--rm", "--no-deps", "-T", "command"]
    python = compose(*run, "python", "-c", "import sys; print(sys.version.split()[0])").stdout
    freeze = compose(*run, "pip", "list", "--format=freeze", "--exclude-editable").stdout
    installed = dict(line.split("==", 1) for line in freeze.split())
    lock = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    print(f"\n{APP_IMAGE}: {size / 1e6:.0f} MB, Python {python.strip()}")
    for name, version in sorted(installed.items()):
        print(f"  {name}=={version}")
    normalise = {name.lower().replace("_", "-"): v for name, v in lock.items()}
    differing = {
        name: (version, normalise[key])
        for name, version in installed.items()
        if (key := name.lower().replace("_", "-")) in normalise and normalise[key] != version
    }
    assert not differing, f"installed versions differ from requirements.lock: {differing}"
    assert {"fastapi", "aiokafka", "asyncpg"} <= {n.lower() for n in installed}


def test_stop_exits_0_within_the_grace_period_and_loses_nothing() -> None:
    """SIGTERM while commands arrive: every acknowledged id is readable after a restart."""
    acked: list[str] = []
    stopping = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=5) as client:
            while not stopping.is_set():
                try:
                    response = client.post(f"{COMMAND_URL}/api/v1/timestamp")
                except httpx.HTTPError:
                    continue  # refused while the service stops: not acknowledged, not counted
                if response.status_code == 200:
                    acked.append(response.json()["id"])

    loader = threading.Thread(target=load)
    loader.start()
    with contextlib.suppress(AssertionError):  # fewer by then: stopping is tested all the same
        wait_until(lambda: len(acked) >= 200, 30, "200 acknowledged commands")
    started = time.monotonic()
    compose("stop", *SERVICES)
    took = time.monotonic() - started
    stopping.set()
    loader.join()
    states = {s: json.loads(docker("inspect", container(s)))[0]["State"] for s in SERVICES}
    print(f"\ncompose stop took {took:.1f} s; {len(acked)} commands acknowledged before it")
    for service, state in states.items():
        print(f"  {service}: exit {state['ExitCode']}, OOMKilled {state['OOMKilled']}")
        assert state["ExitCode"] == 0, f"{service} exited {state['ExitCode']}"
    assert took < GRACE_SECONDS, "a service needed SIGKILL"
    compose("up", "-d", "--wait", "--wait-timeout", "180", *SERVICES)
    with httpx.Client(timeout=30) as client:
        missing = [record_id for record_id in acked if not read(client, record_id)]
    assert acked and not missing, f"{len(missing)} acknowledged commands lost: {missing[:5]}"
