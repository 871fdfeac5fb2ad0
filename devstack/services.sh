#!/usr/bin/env bash
# The three services in the background, logs and pids under .local/.
#   devstack/services.sh start|stop|status
source "$(dirname "$0")/common.sh"

# Ports: COMMAND_PORT, CONSUMER_PORT, QUERY_PORT (a second stack beside the first).
SERVICES=(command:"${COMMAND_PORT:-7080}" consumer:"${CONSUMER_PORT:-7081}" query:"${QUERY_PORT:-7082}")

export KAFKA_BROKER="${KAFKA_BROKER:-localhost:$KAFKA_PORT}"
export DB_URL="${DB_URL:-postgresql://localhost:$PG_PORT/postgres}"
export DB_USERNAME="${DB_USERNAME:-postgres}"
export DB_PASSWORD="${DB_PASSWORD:-$PG_PASSWORD}"
no_tls_to_loopback
export LOG_FORMAT="${LOG_FORMAT:-json}"

healthy() { curl -sf "http://127.0.0.1:$1/health" >/dev/null; }

start_one() {
  local name=${1%%:*} port=${1##*:}
  if pid_alive "$name"; then say "$name already running (pid $(cat "$RUN/$name.pid"))"; return 0; fi
  port_open "$port" && die "port $port is taken by a process that make up did not start"
  SERVER_PORT=$port nohup "$VENV/bin/python" -m "${name}_service" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

start() {
  [[ -x "$VENV/bin/python" ]] || die "no virtualenv at $VENV: run make install"
  for entry in "${SERVICES[@]}"; do start_one "$entry"; done
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    wait_for "$name" 90 healthy "$port" || die "$name did not answer /health; see $LOGS/$name.log"
    say "$name up on http://localhost:$port (pid $(cat "$RUN/$name.pid"), log $LOGS/$name.log)"
  done
}

stop() {
  for entry in "${SERVICES[@]}"; do stop_pid "${entry%%:*}"; done
}

status() {
  for entry in "${SERVICES[@]}"; do pid_alive "${entry%%:*}" || return 1; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
