# timestamp-cqrs — see README.md. Every target works from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export KAFKA_BROKER ?= localhost:9092
export DB_URL ?= postgresql://localhost:5432/postgres
export DB_USERNAME ?= postgres
export DB_PASSWORD ?= devstack-Secret-7f3a

.PHONY: install up down status test test-unit test-integration lint newman chaos clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -e . --group dev
	touch $(STAMP)

up: install
	bash devstack/platform.sh up

down:
	bash devstack/platform.sh down

status:
	bash devstack/platform.sh status

test: install
	bash devstack/platform.sh with $(BIN)/pytest tests integration

test-unit: install
	$(BIN)/pytest tests

test-integration: install
	bash devstack/platform.sh with $(BIN)/pytest integration

chaos: install
	FAULT_SUITE_SIZE=100000 FAULT_SUITE_KILLS=20 bash devstack/platform.sh with \
		$(BIN)/pytest integration/test_faults.py integration/test_poison.py --timeout 1800

newman:
	bash devstack/newman.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check shared command_service consumer_service query_service ops
	$(BIN)/mypy

clean: down
	rm -rf .local $(VENV)
