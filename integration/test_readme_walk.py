"""The README's front door, walked: every ```bash block of its "Run it", "API" and "Disaster
recovery" sections runs as written — one shell, in order, from the checkout, against the
running platform, with none of the project's settings in the environment (the machine's own
variables stay). A command that fails fails the test. Commands that would stop the platform or
run this suite again are not run."""

import os
import re
import subprocess

import pytest

from harness.processes import ROOT
from integration.conftest import COMMAND_URL

SECTIONS = ("Run it", "API", "Disaster recovery")
NOT_RUN = re.compile(r"^make (down|test|lint|bench|bench-quick|chaos|clean)\b")
PROJECT_PREFIXES: tuple[str, ...] = (
    "KAFKA_",
    "DB_",
    "PG_",
    "SERVER_",
    "LOG_",
    "API_",
    "MAX_",
    "COMMAND_",
)
PROJECT_PREFIXES += ("CONSUMER_", "QUERY_", "BATCH_", "OFFSET_", "RETRY_", "PAGE_")


def walked_commands() -> list[str]:
    commands: list[str] = []
    for section in re.split(r"^## ", (ROOT / "README.md").read_text(), flags=re.M):
        title, _, body = section.partition("\n")
        if title.strip() not in SECTIONS:
            continue
        for block in re.findall(r"^```bash\n(.*?)^```", body, flags=re.M | re.S):
            commands += [
                line
                for line in block.splitlines()
                if line.strip() and not line.lstrip().startswith("#") and not NOT_RUN.match(line)
            ]
    return commands


def test_the_readme_names_the_commands_it_walks() -> None:
    commands = walked_commands()
    for expected in ("make up", "curl", "timestamp-ops replay", "timestamp-ops reconcile"):
        assert any(expected in command for command in commands), expected


@pytest.mark.skipif(
    COMMAND_URL != "http://localhost:7080", reason="the README speaks of make up's default ports"
)
def test_every_command_of_the_readme_works_as_written() -> None:
    lines = ["set -euo pipefail"]
    for command in walked_commands():
        lines += [f"printf '\\n%s\\n' {_quoted('$ ' + command)}", command]
    script = "\n".join(lines)
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_PREFIXES)}
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (
        f"README walk failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    )
    assert "AGREE" in done.stdout


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
