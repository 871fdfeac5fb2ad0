#!/usr/bin/env bash
# The whole local platform: Kafka, PostgreSQL, topics, the three services; with OBSERVE=1
# also Jaeger and Prometheus (devstack/observe.sh), the services tracing to Jaeger.
#   devstack/platform.sh up|down|status|infra
#   devstack/platform.sh with COMMAND...   run COMMAND with the platform up; stop what was started
# CLUSTER=3: three replicated KRaft nodes (devstack/cluster.sh) instead of the single one.
source "$(dirname "$0")/common.sh"
HERE="$ROOT/devstack"
CLUSTER="${CLUSTER:-1}"
[[ "$CLUSTER" == 1 || "$CLUSTER" == 3 ]] || die "CLUSTER is 1 (one Kafka node) or 3 (got $CLUSTER)"

if [[ "$CLUSTER" == 3 ]]; then
  KAFKA=cluster.sh REPLICATION=3 BOOTSTRAP=$(bash "$HERE/cluster.sh" bootstrap)
  export KAFKA_BROKER=$BOOTSTRAP  # for the services, whatever the Makefile's default says
else
  KAFKA=kafka.sh REPLICATION=1 BOOTSTRAP="localhost:$KAFKA_PORT"
fi

infra() {
  bash "$HERE/$KAFKA" start
  bash "$HERE/postgres.sh" start
  KAFKA_BROKER=$BOOTSTRAP "$VENV/bin/timestamp-ops" topics ensure --replication "$REPLICATION" \
    | sed 's/^/[devstack] topic /'
}

# .env: the devstack's settings for whatever runs in this checkout (the services and
# timestamp-ops read it; pydantic-settings' env_file), so the README's commands need no
# exported variables. Rewritten while it carries the marker line; a .env of the user's is kept.
ENV_FILE="$ROOT/.env"
ENV_MARKER="# Written by make up for this checkout's devstack."
write_env_file() {
  if [[ -f "$ENV_FILE" ]] && ! head -n1 "$ENV_FILE" | grep -qxF "$ENV_MARKER"; then
    say "keeping $ENV_FILE (not written by make up)"; return 0
  fi
  cat >"$ENV_FILE" <<ENV
$ENV_MARKER
# Variables set in the environment win over this file. Remove the first line to keep edits.
KAFKA_BROKER=$BOOTSTRAP
DB_URL=postgresql://localhost:$PG_PORT/postgres
DB_PASSWORD=$PG_PASSWORD
DB_SSLMODE=disable
ENV
  chmod 600 "$ENV_FILE"
}

up() {
  infra
  write_env_file
  if [[ "${OBSERVE:-}" == 1 ]]; then  # Jaeger and Prometheus first: the services trace to it
    bash "$HERE/observe.sh" start
    eval "$(bash "$HERE/observe.sh" env)"
  fi
  bash "$HERE/services.sh" start
  cat <<INFO
[devstack] ready:
  command  POST http://localhost:${COMMAND_PORT:-7080}/api/v1/timestamp/2009-09-28T19:03:12Z
  query    GET  http://localhost:${QUERY_PORT:-7082}/api/v1/timestamp/<id>
  consumer      http://localhost:${CONSUMER_PORT:-7081}/ready
  kafka         $BOOTSTRAP   postgres  postgresql://postgres@localhost:$PG_PORT/postgres
  logs          $LOGS/   pids  $RUN/
INFO
}

down() {
  bash "$HERE/services.sh" stop
  bash "$HERE/observe.sh" stop
  bash "$HERE/kafka.sh" stop
  bash "$HERE/cluster.sh" stop
  # A database kept outside the checkout goes with `make down` (postgres.sh); the topics then
  # go too, so the next `make up` starts with both empty rather than a topic whose group
  # offsets say its records are in a table that is gone.
  if [[ -L "$LOCAL/pg" && ( -d "$LOCAL/kafka/data" || -d "$LOCAL/cluster" ) ]]; then
    rm -rf "$LOCAL/kafka/data" "$LOCAL/cluster"
    say "removed the Kafka data with the database"
  fi
  bash "$HERE/postgres.sh" down
}

running() {
  bash "$HERE/$KAFKA" status && bash "$HERE/postgres.sh" status && bash "$HERE/services.sh" status
}

with_platform() {
  if running; then
    say "platform already running; leaving it up afterwards"
    "$@"
    return
  fi
  trap down EXIT  # also when start-up itself fails half-way: stop what did start
  up
  "$@"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  infra) infra ;;
  status) running && say "platform running" || { say "platform not (fully) running"; exit 1; } ;;
  with) shift; no_tls_to_loopback; with_platform "$@" ;;
  *) die "usage: $0 up|down|status|infra|with COMMAND..." ;;
esac
