#!/usr/bin/env bash
# PostgreSQL 15 from Debian's installed server binaries, run as the `postgres` user.
#   devstack/postgres.sh start|stop|down|status   (down: stop and remove a data folder outside the checkout)
source "$(dirname "$0")/common.sh"

# Every path handed to a program that runs as `postgres` is the real one (PG below): when the
# checkout lies under a folder that user cannot enter, .local/pg is a symlink to /var/tmp.
pg_home() { readlink -f "$LOCAL/pg"; }
find_pgbin() {
  local listed
  listed=$(dpkg -L postgresql-15 2>/dev/null | grep 'bin/initdb$' || true)
  dirname "${listed:-/usr/lib/postgresql/15/bin/initdb}" | head -n1
}
PGBIN="${PGBIN:-$(find_pgbin)}"
[[ -x "$PGBIN/pg_ctl" ]] || die "PostgreSQL 15 server binaries not found (apt-get install postgresql-15)"

as_postgres() {
  # From /: the postgres user may not be allowed into the current folder.
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The postgres user must reach .local/pg. When the checkout lies under a folder it cannot
# enter (e.g. /root), the data lives in /var/tmp and .local/pg is a symlink to it.
make_pg_dir() {
  [[ -e "$LOCAL/pg" ]] && return 0
  rm -f "$LOCAL/pg"  # a link left dangling by a folder removed outside `make down`
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$LOCAL"; then
    local outside; outside=$(mktemp -d /var/tmp/timestamp-cqrs-pg.XXXXXX)
    ln -s "$outside" "$LOCAL/pg"
    say "postgres cannot enter $LOCAL; its data lives in $outside (linked as .local/pg)"
  else
    mkdir -p "$LOCAL/pg"
  fi
  [[ $(id -u) -eq 0 ]] && chown postgres: "$LOCAL/pg/"
  return 0
}

init() {
  make_pg_dir
  PG=$(pg_home); PGDATA="$PG/data"
  [[ -f "$PGDATA/PG_VERSION" ]] && return 0
  local pwfile="$PG/.pw"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pwfile"
  say "initdb into $PGDATA"
  as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
    || die "initdb failed; see $LOGS/initdb.log"
  rm -f "$pwfile"
}

# TLS next to plain connections (sslmode decides): the devstack CA signs the server certificate.
install_tls() {
  bash "$ROOT/devstack/tls.sh"
  local file
  for file in server.crt server.key; do
    install -m 600 "$LOCAL/tls/$file" "$PGDATA/$file"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$PGDATA/$file"
  done
  return 0
}

running() { [[ -e "$LOCAL/pg" ]] && as_postgres "$PGBIN/pg_ctl" -D "$(pg_home)/data" status >/dev/null 2>&1; }

# A write-heavy ingest store (a replay writes ~240 MB of WAL per million rows), durability
# untouched (fsync, synchronous_commit and full_page_writes stay on):
# - shared_buffers 512MB: the default 128MB holds less than a million-row table with its two
#   indexes, and backends wrote ~170 MB of dirty pages out themselves during such a replay
#   (none with 512MB). wal_buffers 16MB: a 10,000-row COPY writes ~2.5 MB of WAL, and two of
#   them filled the default 4MB before the WAL writer flushed it (wal_buffers_full 24-766).
# - checkpoint_timeout 15min, max_wal_size 2GB: a checkpoint every 15 min or ~1 GB of WAL
#   instead of every 5 min or ~0.5 GB; after each one, a page's first change writes the whole
#   page to WAL. Crash recovery replays at most that much WAL.
# - wal_compression lz4: those full-page images compressed, for little CPU.
# - maintenance_work_mem 256MB: index builds and (auto)vacuum of big tables in fewer passes.
WRITE_HEAVY="-c shared_buffers=512MB -c wal_buffers=16MB -c checkpoint_timeout=15min \
  -c max_wal_size=2GB -c wal_compression=lz4 -c maintenance_work_mem=256MB"

start() {
  if running; then say "postgres already running on port $PG_PORT"; return 0; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by a process that make up did not start"
  init
  install_tls
  ln -sf "$PG/postgres.log" "$LOGS/postgres.log"
  as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PG/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on \
        -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key $WRITE_HEAVY" start \
    >/dev/null \
    || die "postgres did not start; see $LOGS/postgres.log"
  say "postgres up on localhost:$PG_PORT (user postgres, data $PGDATA)"
}

stop() {
  [[ -e "$LOCAL/pg" ]] || return 0
  local pg; pg=$(pg_home)
  [[ -f "$pg/data/postmaster.pid" ]] || return 0
  as_postgres "$PGBIN/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1 && say "stopped postgres"
  return 0
}

# `make down`: a data folder outside the checkout (see make_pg_dir) goes with the stack, so
# nothing stays behind in /var/tmp; one inside .local stays for the next `make up`.
down() {
  stop
  [[ -L "$LOCAL/pg" ]] || return 0
  local pg; pg=$(pg_home)
  if [[ "$pg" == /var/tmp/timestamp-cqrs-pg.* ]]; then
    # The log stays (.local/logs/postgres.log links into the folder): a copy replaces the link.
    [[ -f "$pg/postgres.log" ]] && cp --remove-destination "$pg/postgres.log" "$LOGS/postgres.log"
    rm -rf "$pg"
    say "removed $pg (the database lived outside the checkout)"
  fi
  rm -f "$LOCAL/pg"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  down) down ;;
  status) running ;;
  *) die "usage: $0 start|stop|down|status" ;;
esac
