# Shared paths and helpers for the devstack scripts. Sourced, never run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL="$ROOT/.local"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"
VENV="${VENV:-$ROOT/.venv}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_SSL_PORT="${KAFKA_SSL_PORT:-9094}"
KAFKA_SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-9095}"
KAFKA_SASL_USER="${KAFKA_SASL_USER:-timestamp}"
KAFKA_SASL_SECRET="${KAFKA_SASL_SECRET:-devstack-Kafka-Secret-91c2}"
PG_PORT="${PG_PORT:-5432}"
PG_PASSWORD="${PG_PASSWORD:-devstack-Secret-7f3a}"
mkdir -p "$RUN" "$LOGS"

say() { printf '[devstack] %s\n' "$*"; }
die() { printf '[devstack] error: %s\n' "$*" >&2; exit 1; }

# pid_alive NAME -> 0 when .local/run/NAME.pid names a live process.
pid_alive() {
  local file="$RUN/$1.pid"
  [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for DESCRIPTION SECONDS COMMAND... -> polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# stop_pid NAME -> SIGTERM the process in NAME.pid, SIGKILL after 20 s; forgets the pid file.
stop_pid() {
  local name=$1 file="$RUN/$1.pid"
  [[ -f "$file" ]] || return 0
  local pid; pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for "$name to exit" 20 bash -c "! kill -0 $pid 2>/dev/null"; then
      say "$name did not stop in 20 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

# A new KRaft cluster id: 16 random bytes, URL-safe base64 without padding, and never starting
# with "-" (Kafka's own Uuid.randomUuid skips those too: the tools would read it as an option).
kafka_cluster_id() {
  python3 -c 'import base64, uuid
while True:
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not cluster_id.startswith("-"):
        print(cluster_id)
        break'
}

# no_tls_to_loopback -> DB_SSLMODE defaults to disable when DB_URL's host is this machine: TLS
# to a loopback PostgreSQL protects nothing and costs both ends CPU on every query. Any other
# DB_URL keeps its own sslmode, else libpq's default (prefer).
no_tls_to_loopback() {
  local authority=${DB_URL:-}
  authority=${authority#*://}    # postgresql://, postgres://, jdbc:postgresql://
  authority=${authority%%[/?]*}  # up to the database name or the parameters
  local host=${authority##*@}    # past user:password@
  case "$host" in
    \[*) host=${host%%]*}] ;;    # [::1]:5432
    *) host=${host%%:*} ;;
  esac
  case "$host" in
    localhost | 127.* | "[::1]") export DB_SSLMODE="${DB_SSLMODE:-disable}" ;;
  esac
}
