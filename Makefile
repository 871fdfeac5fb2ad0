# timestamp-cqrs — see README.md. Every target works from a fresh clone.
SHELL := /bin/bash
# Debian's /usr/bin/python3.11 is built with PGO and LTO: the services need 10-15 % less CPU
# on it than on a plain source build (pyenv's default). Any python3 >= 3.11 works otherwise.
PYTHON ?= $(or $(shell /usr/bin/python3.11 -c 'import ensurepip' >/dev/null 2>&1 && echo /usr/bin/python3.11),python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export KAFKA_BROKER ?= localhost:9092
export DB_URL ?= postgresql://localhost:5432/postgres
export DB_USERNAME ?= postgres
export DB_PASSWORD ?= devstack-Secret-7f3a
# DB_SSLMODE: disable for a loopback DB_URL (devstack/common.sh no_tls_to_loopback, applied by
# devstack/platform.sh to what it starts and runs).

.PHONY: install packages up down status test test-unit test-integration lint lock audit newman chaos clean
.PHONY: compose-images compose-test test-containers

install: $(STAMP)

# Debian's wrk (the benchmark's load generator) and chromium (the /docs browser test).
packages:
	bash devstack/packages.sh wrk chromium

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -c requirements.lock -e . --group dev --group bench
	touch $(STAMP)

# OBSERVE=1: also Jaeger and Prometheus (devstack/observe.sh), the services tracing to Jaeger.
export OBSERVE
up: install
	bash devstack/platform.sh up

down:
	bash devstack/platform.sh down
	bash devstack/docker.sh stop

status:
	bash devstack/platform.sh status

# The first time, Jaeger and Prometheus (the trace and Prometheus tests start them) build from
# the Go module proxy in the background meanwhile (devstack/observe.sh build).
test: install packages
	bash devstack/observe.sh build
	bash devstack/platform.sh with $(BIN)/pytest tests integration
	bash devstack/containers_smoke.sh

# A few integration tests on Kafka and PostgreSQL containers of their own (testcontainers).
test-containers: install
	bash devstack/containers_smoke.sh

test-unit: install
	$(BIN)/pytest tests

test-integration: install packages
	bash devstack/observe.sh build
	bash devstack/platform.sh with $(BIN)/pytest integration

# The cluster tests start their own three nodes (devstack/cluster.sh in .local/cluster-it).
chaos: install packages
	FAULT_SUITE_SIZE=100000 FAULT_SUITE_KILLS=20 FOREIGN_RECORDS=50000 HTTP_FUZZ_CASES=20000 \
	CLUSTER_FAULT_SIZE=20000 CLUSTER_FAULT_KILLS=5 CLUSTER_FAULT_PAUSE_S=20 CLUSTER_FAULT_ROLLED=3 \
		bash devstack/platform.sh with \
		$(BIN)/pytest integration/test_faults.py integration/test_poison.py \
		integration/test_foreign_records.py integration/test_http_fuzz.py \
		integration/test_cluster_faults.py --timeout 1800

newman:
	bash devstack/newman.sh

# docker-compose.yml for real: a Docker engine (dockerd started when none answers; stopped by
# make down), Compose v2 from the Go module proxy, local stand-ins for the images it names
# when no registry serves them (devstack/images.sh; OBSERVE=1: also Jaeger's and Prometheus',
# the "observe" profile's). Host ports: COMMAND_PORT, CONSUMER_PORT, QUERY_PORT (default
# 7080-7082).
compose-images:
	bash devstack/docker.sh engine
	bash devstack/images.sh python kafka postgres $(if $(filter 1,$(OBSERVE)),jaeger prometheus)

compose-test: install
	bash devstack/compose_test.sh

# Benchmarks against ceilings measured in the same run (bench/run.py); results in bench/results/.
# TRACING=1: the run's services trace every request to Jaeger (devstack/observe.sh).
.PHONY: bench bench-quick
BENCH_TRACING := $(if $(filter 1,$(TRACING)),--tracing)
bench: install packages
	bash devstack/platform.sh with $(BIN)/python -m bench.run --size full $(BENCH_TRACING)

bench-quick: install packages
	bash devstack/platform.sh with $(BIN)/python -m bench.run --size quick $(BENCH_TRACING)

# 10 minutes at 500 commands/s after a 60-s reference run (bench/soak.py); not in make test.
.PHONY: soak
soak: install
	bash devstack/platform.sh with $(BIN)/python -m bench.soak $(SOAK_ARGS)

lock:
	rm -rf .local/lockvenv && $(PYTHON) -m venv .local/lockvenv
	.local/lockvenv/bin/pip install -q pip==25.3 && .local/lockvenv/bin/pip install -q -e . --group dev --group bench
	{ echo "# Every installed package, pinned: make install passes this file to pip as constraints."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  .local/lockvenv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock

audit: install
	bash devstack/audit.sh

lint: install helm-lint rules-lint audit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean: down
	rm -rf .local $(VENV)

# The Helm chart, checked offline: devstack/tools.sh builds helm and kubeconform (Go module
# proxy) and lays out the Kubernetes JSON schemas that PyPI's kubernetes-validate ships; then
# `helm lint --strict` and every rendered manifest through `kubeconform -strict` against those
# schemas, once with the defaults and once with every option on (ingress, autoscaling, replay
# via --set, the rest from the chart's ci/all-options-values.yaml). Fails on any problem.
# The Prometheus Operator's ServiceMonitor and PrometheusRule have no schema there: kubeconform
# skips them (tests/test_alert_rules.py keeps the rules the chart ships equal to promtool's).
# The alert rules: `promtool check rules`, then their unit tests (promtool from devstack/tools.sh).
.PHONY: rules-lint
rules-lint:
	@set -euo pipefail; tools=$$(bash devstack/tools.sh promtool); eval "$$tools"; \
	"$$PROMTOOL" check rules deploy/prometheus/alerts.yml; \
	"$$PROMTOOL" test rules deploy/prometheus/alerts_test.yml

.PHONY: helm-lint
helm-lint:
	@set -euo pipefail; \
	tools=$$(bash devstack/tools.sh --env); eval "$$tools"; \
	chart=deploy/helm/timestamp-cqrs; crds=ServiceMonitor,PrometheusRule; \
	all=(-f "$$chart/ci/all-options-values.yaml" --set "command.ingress.enabled=true,query.ingress.enabled=true,command.autoscaling.enabled=true,query.autoscaling.enabled=true,replay.enabled=true"); \
	for variant in defaults all-options; do \
	  opts=(); [[ $$variant == defaults ]] || opts=("$${all[@]}"); \
	  echo "== helm lint --strict $$chart ($$variant)"; \
	  "$$HELM" lint --strict --kube-version "$$KUBE_VERSION" "$$chart" "$${opts[@]}"; \
	  echo "== helm template t $$chart ($$variant) | kubeconform -strict (Kubernetes $$KUBE_VERSION)"; \
	  "$$HELM" template t "$$chart" --kube-version "$$KUBE_VERSION" "$${opts[@]}" \
	    | "$$KUBECONFORM" -strict -summary -kubernetes-version "$$KUBE_VERSION" -skip "$$crds" \
	        -schema-location "$$SCHEMA_LOCATION" -; \
	done
