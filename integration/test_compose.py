"""The container platform, checked statically: docker-compose.yml and the Dockerfile.

No Docker engine and no servers needed: the files are parsed (PyYAML, a small Dockerfile
reader) and held to what the platform promises: six services (Apache Kafka 4 in KRaft mode,
PostgreSQL 15, the topics one-shot, the three services), ports published by the three services
only, the original's variable names, and a pinned, multi-stage, non-root, hardened image.
"""

import re
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from command_service.settings import CommandSettings
from consumer_service.settings import ConsumerSettings
from query_service.settings import QuerySettings
from shared.settings import ORIGINAL_NAMES

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

# The original service's variable names, unchanged.
SPEC_ENV_NAMES = set(ORIGINAL_NAMES)
DB_NAMES = {"DB_URL", "DB_USERNAME", "DB_PASSWORD"}

# service -> (port, console script, settings class, variables it must be given)
APPS: dict[str, tuple[int, str, type[BaseSettings], set[str]]] = {
    "command": (
        7080,
        "timestamp-command-service",
        CommandSettings,
        {"SERVER_PORT", "KAFKA_BROKER", "KAFKA_PUBLISH_TOPIC"},
    ),
    "consumer": (
        7081,
        "timestamp-consumer-service",
        ConsumerSettings,
        {"SERVER_PORT", "KAFKA_BROKER", "KAFKA_CONSUMER_TOPIC", "KAFKA_GROUP_ID"} | DB_NAMES,
    ),
    "query": (7082, "timestamp-query-service", QuerySettings, {"SERVER_PORT"} | DB_NAMES),
}
INFRA = {"kafka", "postgres", "topics"}
# The "observe" profile: service -> (image, the one port it publishes, its host-port variable).
OBSERVE = {
    "jaeger": ("jaegertracing/jaeger:2.13.0", 16686, "JAEGER_QUERY_PORT"),
    "prometheus": ("prom/prometheus:v3.16.0", 9090, "PROMETHEUS_PORT"),
}

# ${VAR}, ${VAR:-default}, ${VAR-default}: compose's interpolation, resolved to the default.
_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


# ---- helpers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    assert isinstance(document.get("services"), dict), "docker-compose.yml has no services"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def interpolate(value: object) -> str:
    return _INTERPOLATION.sub(lambda m: m.group("default") or "", str(value))


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """Both compose forms: a mapping, or a list of KEY=VALUE strings."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in raw)
        return {key: interpolate(value) for key, value in pairs}
    return {str(key): interpolate("" if value is None else value) for key, value in raw.items()}


def published_ports(service: Mapping[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs of a service, short or long syntax."""
    found: set[tuple[int, int]] = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            target = int(entry["target"])
            published = int(interpolate(entry.get("published", target)))
        else:
            spec = interpolate(entry).split("/", 1)[0]
            parts = spec.rsplit(":", 2)
            target = int(parts[-1])
            # "TARGET" alone publishes on a random host port: record it as 0 (never allowed).
            published = int(parts[-2]) if len(parts) >= 2 and parts[-2] else 0
        found.add((published, target))
    return found


def command_words(service: Mapping[str, Any]) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def healthcheck_text(service: Mapping[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    assert test, "no healthcheck"
    return " ".join(str(word) for word in test) if isinstance(test, list) else str(test)


def dependency_conditions(service: Mapping[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):  # short form: no conditions at all
        return dict.fromkeys(depends, "service_started")
    return {
        name: (spec or {}).get("condition", "service_started") for name, spec in depends.items()
    }


def build_context(service: Mapping[str, Any]) -> str | None:
    build = service.get("build")
    if isinstance(build, dict):
        return str(build.get("context", "."))
    return None if build is None else str(build)


# ---- docker-compose.yml --------------------------------------------------------------


def test_the_six_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= INFRA | set(APPS)


def test_kafka_is_a_single_kraft_node_of_apache_kafka_4(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"]), kafka["image"]
    env = environment(kafka)
    roles = {role.strip() for role in env["KAFKA_PROCESS_ROLES"].split(",")}
    assert roles == {"broker", "controller"}
    for name in (
        "KAFKA_NODE_ID",
        "KAFKA_LISTENERS",
        "KAFKA_CONTROLLER_QUORUM_VOTERS",
        "KAFKA_CONTROLLER_LISTENER_NAMES",
    ):
        assert env.get(name), f"kafka needs {name}"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # topics come from `topics`
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in healthcheck_text(kafka)


def test_postgres_is_postgres_15_with_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    assert environment(postgres)["POSTGRES_PASSWORD"] == "postgres"  # ${DB_PASSWORD:-postgres}
    assert "DB_PASSWORD" in str(postgres["environment"]), "password must come from DB_PASSWORD"
    assert "pg_isready" in healthcheck_text(postgres)
    named = {str(volume).split(":", 1)[0] for volume in postgres.get("volumes") or []}
    assert named & set(compose.get("volumes") or {}), "postgres data must be a named volume"


@pytest.mark.parametrize("name", ["kafka", "postgres", "topics"])
def test_infrastructure_publishes_no_ports(services: dict[str, Any], name: str) -> None:
    assert published_ports(services[name]) == set()
    assert services[name].get("network_mode") != "host"


def test_only_the_three_services_publish_ports(services: dict[str, Any]) -> None:
    published = {
        name: published_ports(service)
        for name, service in services.items()
        if published_ports(service) and not service.get("profiles")
    }
    assert published == {name: {(port, port)} for name, (port, *_) in APPS.items()}


@pytest.mark.parametrize("name", sorted(OBSERVE))
def test_observe_profile_adds_jaeger_and_prometheus(services: dict[str, Any], name: str) -> None:
    image, port, variable = OBSERVE[name]
    service = services[name]
    assert service["profiles"] == ["observe"]
    assert service["image"] == image
    assert service["ports"] == [f"${{{variable}:-{port}}}:{port}"]
    assert "wget" in healthcheck_text(service)
    assert {other for other, spec in services.items() if spec.get("profiles")} == set(OBSERVE)


def test_prometheus_scrapes_the_three_services_with_the_alert_rules(
    services: dict[str, Any],
) -> None:
    mounts = {}  # target -> source
    for volume in services["prometheus"]["volumes"]:
        source, target, *_ = str(volume).split(":")
        mounts[target] = source
    config = yaml.safe_load((ROOT / mounts["/etc/prometheus/prometheus.yml"]).read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert mounts["/etc/prometheus/alerts.yml"] == "./deploy/prometheus/alerts.yml"
    scraped = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert scraped == {f"timestamp-{name}": f"{name}:{port}" for name, (port, *_) in APPS.items()}


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_service_traces_to_jaeger_only_with_the_observe_profile(
    services: dict[str, Any], name: str
) -> None:
    endpoint = services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert endpoint == "${COMPOSE_PROFILES:+http://jaeger:4318}"


def test_topics_is_a_one_shot_that_ensures_the_topics(services: dict[str, Any]) -> None:
    topics = services["topics"]
    assert build_context(topics) == "."
    words = command_words(topics)
    assert words[:3] == ["timestamp-ops", "topics", "ensure"]
    assert words[words.index("--partitions") + 1] == "6"
    assert environment(topics)["KAFKA_BROKER"] == "kafka:9092"
    assert dependency_conditions(topics) == {"kafka": "service_healthy"}
    assert topics.get("restart", "no") == "no"


@pytest.mark.parametrize(
    ("name", "variable"),
    [("command", "COMMAND_PORT"), ("consumer", "CONSUMER_PORT"), ("query", "QUERY_PORT")],
)
def test_host_ports_can_be_moved_beside_another_stack(
    services: dict[str, Any], name: str, variable: str
) -> None:
    port = APPS[name][0]
    assert services[name]["ports"] == [f"${{{variable}:-{port}}}:{port}"]


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_service_is_built_here_and_runs_its_console_script(
    services: dict[str, Any], name: str
) -> None:
    service = services[name]
    port, script, _, _ = APPS[name]
    assert build_context(service) == "."
    assert command_words(service) == [script]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert script in scripts
    assert published_ports(service) == {(port, port)}


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_service_environment_uses_spec_names(services: dict[str, Any], name: str) -> None:
    port, _, settings_class, required = APPS[name]
    env = {
        key: value
        for key, value in environment(services[name]).items()
        if not key.startswith("OTEL_")  # OpenTelemetry's own names, read by its SDK
    }
    assert set(env) <= SPEC_ENV_NAMES, f"not the original's names: {set(env) - SPEC_ENV_NAMES}"
    assert required <= set(env), f"missing: {required - set(env)}"
    assert env["SERVER_PORT"] == str(port)
    if "KAFKA_BROKER" in env:
        assert env["KAFKA_BROKER"] == "kafka:9092"
    if "DB_URL" in env:
        # The original's jdbc: form, on purpose: a URL written for it must keep working.
        assert env["DB_URL"] == "jdbc:postgresql://postgres:5432/postgres"
        assert "${DB_PASSWORD" in str(services[name]["environment"]), "DB_PASSWORD hard-coded"
    # The values pass the service's own settings validation.
    settings = settings_class.model_validate({key.lower(): value for key, value in env.items()})
    assert getattr(settings, "server_port", None) == port
    if "DB_URL" in env:
        assert getattr(settings, "db_url", None) == "postgresql://postgres:5432/postgres"


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_service_healthcheck_calls_its_own_health(services: dict[str, Any], name: str) -> None:
    port = APPS[name][0]
    test = healthcheck_text(services[name])
    assert re.search(rf"//(127\.0\.0\.1|localhost):{port}/health\b", test), test
    assert test.split()[:2] in (["CMD", "python"], ["CMD", "python3"]), "slim image: no curl"
    for other, (other_port, *_) in APPS.items():
        if other != name:
            assert f":{other_port}/" not in test


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "command",
            {"kafka": "service_healthy", "topics": "service_completed_successfully"},
        ),
        (
            "consumer",
            {
                "kafka": "service_healthy",
                "postgres": "service_healthy",
                "topics": "service_completed_successfully",
            },
        ),
        ("query", {"postgres": "service_healthy"}),
    ],
)
def test_app_service_waits_for_what_it_needs(
    services: dict[str, Any], name: str, expected: dict[str, str]
) -> None:
    conditions = dependency_conditions(services[name])
    assert {key: conditions.get(key) for key in expected} == expected


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_service_runs_hardened(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service.get("restart") == "unless-stopped"
    assert service.get("read_only") is True
    tmpfs = service.get("tmpfs") or []
    assert "/tmp" in ([tmpfs] if isinstance(tmpfs, str) else tmpfs)
    assert str(service.get("user")).split(":")[0] == "10001"
    assert not service.get("privileged")


# ---- Dockerfile ----------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    if pending:
        logical.append(pending)
    result = []
    for text in logical:
        instruction, _, arguments = text.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            found.append([])
        if found:
            found[-1].append((instruction, arguments))
    assert found, "Dockerfile has no FROM"
    return found


def from_image(arguments: str) -> tuple[str, str | None]:
    """FROM [--platform=…] image [AS name] -> (image, stage name)."""
    words = [word for word in arguments.split() if not word.startswith("--")]
    name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return words[0], name


def test_dockerfile_is_multi_stage_and_pins_exact_tags() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2, "expected a builder and a runtime stage"
    names: set[str] = set()
    for stage in all_stages:
        image, name = from_image(stage[0][1])
        if image in names:  # FROM an earlier stage
            continue
        assert "$" not in image, f"FROM must not be parameterised: {image}"
        repository, _, tag = image.split("@", 1)[0].rpartition(":")
        assert repository and "/" not in tag, f"FROM without a tag: {image}"
        assert tag != "latest", image
        assert re.match(r"\d+\.\d+\.\d+", tag), f"tag is not an exact version: {image}"
        if name:
            names.add(name)


def test_dockerfile_final_stage_runs_as_a_non_root_user() -> None:
    final = stages()[-1]
    users = [arguments for instruction, arguments in final if instruction == "USER"]
    assert users, "final stage has no USER"
    user = users[-1].split(":", 1)[0]
    assert user not in {"root", "0", ""}
    assert user in {"10001", "app"}


def test_dockerfile_final_stage_has_the_venv_and_no_build_tools() -> None:
    all_stages = stages()
    final = all_stages[-1]
    runs = " ".join(arguments for instruction, arguments in final if instruction == "RUN")
    for tool in ("gcc", "build-essential", "pip install", "apt-get install", "make "):
        assert tool not in runs, f"final stage runs {tool!r}"
    copies = [arguments for instruction, arguments in final if instruction in {"COPY", "ADD"}]
    assert copies and all("--from=" in copy for copy in copies), copies
    builder_runs = " ".join(
        arguments
        for stage in all_stages[:-1]
        for instruction, arguments in stage
        if instruction == "RUN"
    )
    assert re.search(r"pip install -c requirements.lock \.(\s|$)", builder_runs), (
        "builder must pip install . with requirements.lock as constraints"
    )
    assert "--group" not in builder_runs and "[dev]" not in builder_runs, "no dev deps in image"


def test_dockerfile_runtime_settings() -> None:
    final = stages()[-1]
    text = "\n".join(f"{instruction} {arguments}" for instruction, arguments in final)
    assert re.search(r"^ENV .*PYTHONUNBUFFERED=1", text, re.M)
    exposed = {
        port
        for instruction, arguments in final
        if instruction == "EXPOSE"
        for port in arguments.split()
    }
    assert exposed >= {"7080", "7081", "7082"}
    cmds = [arguments for instruction, arguments in final if instruction == "CMD"]
    assert cmds and cmds[-1].replace(" ", "") == '["timestamp-command-service"]'


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".local", ".venv", ".git", "node_modules", ".env"):
        assert entry in ignored or f"**/{entry}" in ignored, entry
