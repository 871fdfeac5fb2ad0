#!/bin/bash
# The official postgres image's start-up contract, in short: as root, own PGDATA and drop to
# postgres; on an empty PGDATA, initdb with POSTGRES_USER/POSTGRES_PASSWORD, create
# POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sh|*.sql on a socket-only server; then exec.
set -Eeuo pipefail

[[ ${1:-} == -* ]] && set -- postgres "$@"

if [[ ${1:-} == postgres && $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

first_start() {
  local user=${POSTGRES_USER:-postgres} password=${POSTGRES_PASSWORD:-}
  local db=${POSTGRES_DB:-${POSTGRES_USER:-postgres}} auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [[ -z $password && $auth != trust ]]; then
    echo 'error: database is uninitialized and superuser password is not specified.' >&2
    echo '  Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust, not recommended).' >&2
    exit 1
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of options, as in the official image
  if [[ -n $password ]]; then
    initdb --username="$user" --pwfile=<(printf '%s\n' "$password") ${POSTGRES_INITDB_ARGS:-}
  else
    initdb --username="$user" ${POSTGRES_INITDB_ARGS:-}
  fi
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
  local psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$user")
  [[ $db == postgres ]] || "${psql[@]}" --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";'
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh) echo "running $f"; if [[ -x $f ]]; then "$f"; else . "$f"; fi ;;
      *.sql) echo "running $f"; "${psql[@]}" --dbname "$db" -f "$f" ;;
      *) if [[ -e $f ]]; then echo "ignoring $f"; fi ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo 'PostgreSQL init process complete; ready for start up.'
}

if [[ ${1:-} == postgres && ! -s $PGDATA/PG_VERSION ]]; then
  first_start
fi
exec "$@"
