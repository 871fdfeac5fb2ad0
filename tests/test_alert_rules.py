"""deploy/prometheus/alerts.yml: every rule is unit-tested in alerts_test.yml and names only
metrics the services expose (integration/test_prometheus_rules.py runs promtool on them)."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy/prometheus/alerts.yml"
RULE_TESTS = ROOT / "deploy/prometheus/alerts_test.yml"
README = ROOT / "README.md"


def alerts() -> list[dict[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_has_a_unit_test_that_fires_it() -> None:
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alerts()} <= fired


def test_rules_name_only_documented_metrics() -> None:
    documented = set(re.findall(r"^\| `(timestamp_[a-z_]+)`", README.read_text(), re.M))
    for rule in alerts():
        used = set(re.findall(r"\btimestamp_[a-z_]+", rule["expr"]))
        assert used <= documented, (rule["alert"], used - documented)


def test_dashboard_panels_query_only_documented_metrics() -> None:
    dashboard = json.loads((ROOT / "deploy/grafana/timestamp-cqrs.json").read_text())
    documented = set(re.findall(r"^\| `(timestamp_[a-z_]+)`", README.read_text(), re.M))
    suffixes = re.compile(r"_(bucket|sum|count)$")
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = {
                suffixes.sub("", name)
                for name in re.findall(r"\btimestamp_[a-z_]+", target["expr"])
            }
            assert used <= documented, (panel["title"], used - documented)


def test_the_chart_ships_the_same_rules() -> None:
    shipped = ROOT / "deploy/helm/timestamp-cqrs/files/alerts.yml"
    assert shipped.read_text() == RULES.read_text(), "cp deploy/prometheus/alerts.yml " + str(
        shipped.relative_to(ROOT)
    )
