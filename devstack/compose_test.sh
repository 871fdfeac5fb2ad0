#!/usr/bin/env bash
# `make compose-test`: the whole platform as docker-compose.yml describes it, tested for real.
# An engine (started here when none answers), Compose v2, the image stand-ins where no registry
# serves the official ones; `docker compose up -d --build --wait`; then the HTTP contract
# tests, newman, POST -> GET ?wait, a DR replay through the image's timestamp-ops and the
# containers' proofs (integration/test_compose_stack.py); `docker compose down -v` at the end.
# Host ports follow COMMAND_PORT / CONSUMER_PORT / QUERY_PORT (default 7080-7082).
source "$(dirname "$0")/common.sh"

export COMMAND_PORT=${COMMAND_PORT:-7080} CONSUMER_PORT=${CONSUMER_PORT:-7081} QUERY_PORT=${QUERY_PORT:-7082}
export COMMAND_URL=${COMMAND_URL:-http://localhost:$COMMAND_PORT}
export CONSUMER_URL=${CONSUMER_URL:-http://localhost:$CONSUMER_PORT}
export QUERY_URL=${QUERY_URL:-http://localhost:$QUERY_PORT}
export DOCKER_CONFIG="$LOCAL/tools"  # its cli-plugins/ holds the Compose built here
export DOCKER_BUILDKIT=0             # the engine's builder: BuildKit looks for its frontend online
export COMPOSE_TEST=1 TEST_PLATFORM=running  # Kafka and PostgreSQL stay on the compose network

bash "$ROOT/devstack/docker.sh" engine
bash "$ROOT/devstack/docker.sh" compose
bash "$ROOT/devstack/images.sh"
cd "$ROOT"

down() { say "docker compose down -v"; docker compose down -v --remove-orphans >/dev/null 2>&1 || true; }
trap down EXIT
# bindable PORT -> 0 when 0.0.0.0:PORT can be bound as Docker's port proxy binds it. A port in
# the kernel's ephemeral range can be held by any program's outgoing connection, unlistened.
bindable() {
  "$VENV/bin/python" - "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1])))
PY
}
for port in "$COMMAND_PORT" "$CONSUMER_PORT" "$QUERY_PORT"; do
  bindable "$port" 2>/dev/null || die "port $port is in use (ephemeral range here:" \
    "$(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range)); set COMMAND_PORT, CONSUMER_PORT, QUERY_PORT"
done

say "docker compose up -d --build --wait"
started=$SECONDS
docker compose up -d --build --wait --wait-timeout 300 >"$LOGS/compose-up.log" 2>&1 || {
  docker compose ps -a; docker compose logs --tail 40; die "compose up failed; see $LOGS/compose-up.log"
}
say "every healthcheck passed after $((SECONDS - started)) s:"
docker compose ps

"$VENV/bin/pytest" -p no:cacheprovider -rA integration/test_contracts.py \
  integration/test_end_to_end.py::test_post_app_answers_an_id \
  integration/test_end_to_end.py::test_posted_timestamp_reads_back_normalised_to_utc \
  integration/test_end_to_end.py::test_get_unknown_is_404_and_bad_id_is_400 \
  integration/test_end_to_end.py::test_missing_correlation_id_is_generated_and_bad_one_rejected \
  integration/test_postman.py integration/test_compose_stack.py -s
