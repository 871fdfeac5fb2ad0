"""/docs of each running service, rendered by Debian's headless Chromium with every host but
loopback unresolvable: Swagger UI must draw every documented operation from the service alone.
A screenshot of each page is kept in .local/artifacts/."""

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from harness.processes import ROOT
from integration.conftest import COMMAND_URL, CONSUMER_URL, QUERY_URL

ARTIFACTS = ROOT / ".local" / "artifacts"
CHROMIUM = shutil.which("chromium")

# The probe's flags for this closed network, plus a resolver that knows only loopback.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--virtual-time-budget=15000",
    "--window-size=1280,2400",
]


def _chromium(user_data: Path, *args: str) -> str:
    assert CHROMIUM, "chromium missing: make packages installs it"
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={user_data}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize(
    ("service", "url"), [("command", COMMAND_URL), ("consumer", CONSUMER_URL), ("query", QUERY_URL)]
)
async def test_docs_render_every_operation_without_internet(
    http: httpx.AsyncClient, tmp_path: Path, service: str, url: str
) -> None:
    paths = (await http.get(f"{url}/openapi.json")).json()["paths"]
    dom = _chromium(tmp_path / "profile", "--dump-dom", f"{url}/docs")
    missing = [path for path in paths if f'data-path="{path}"' not in dom]
    assert paths and not missing, f"{service} /docs did not render {missing}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"docs-{service}.png"
    screenshot.unlink(missing_ok=True)
    _chromium(tmp_path / "profile", f"--screenshot={screenshot}", f"{url}/docs")
    assert screenshot.stat().st_size > 10_000
