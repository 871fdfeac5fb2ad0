#!/usr/bin/env bash
# A Docker engine and Compose v2 for this checkout, each provided only when missing:
#   bash devstack/docker.sh engine    an engine that answers: the one running, or Debian's
#                                     docker.io (installed as root when absent) started as
#                                     dockerd, its pid in .local/run/dockerd.pid, log in
#                                     .local/logs/dockerd.log
#   bash devstack/docker.sh compose   Compose v2 built from the Go module proxy into
#                                     .local/tools/cli-plugins/docker-compose
#   bash devstack/docker.sh stop      stops the dockerd that `engine` started (and only that)
#   bash devstack/docker.sh check     exit 0 when an engine answers, else say why not
source "$(dirname "$0")/common.sh"

COMPOSE_VERSION=v2.40.3   # github.com/docker/compose/v2
PLUGINS="$LOCAL/tools/cli-plugins"
COMPOSE="$PLUGINS/docker-compose"

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

install_docker_io() {
  command -v dockerd >/dev/null && return 0
  [[ $(id -u) -eq 0 ]] || die "no Docker engine and not root: install docker.io (apt-get install docker.io)"
  command -v apt-get >/dev/null || die "no Docker engine and no apt-get: install Docker by hand"
  say "installing Debian's docker.io (first run only)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends docker.io >"$LOGS/docker-io-install.log" 2>&1 \
    || die "apt-get install docker.io failed; see $LOGS/docker-io-install.log"
}

engine() {
  engine_answers && return 0
  # The client that came with the machine may be the only docker; docker.io brings its own.
  install_docker_io
  command -v docker >/dev/null || die "no docker client"
  pid_alive dockerd || {
    [[ $(id -u) -eq 0 ]] || die "dockerd must run as root"
    say "starting dockerd (log: ${LOGS#"$ROOT/"}/dockerd.log)"
    nohup dockerd >>"$LOGS/dockerd.log" 2>&1 </dev/null &
    echo $! >"$RUN/dockerd.pid"
  }
  wait_for dockerd 60 engine_answers || die "dockerd did not answer in 60 s; see $LOGS/dockerd.log"
  say "dockerd $(docker version --format '{{.Server.Version}}') up (pid $(cat "$RUN/dockerd.pid"))"
}

# check: whether an engine could serve this checkout, without installing or starting one.
check() {
  engine_answers && return 0
  command -v dockerd >/dev/null || [[ $(id -u) -eq 0 && -x "$(command -v apt-get)" ]] \
    || { echo "no Docker engine, no docker.io and no root to install it"; return 1; }
  [[ $(id -u) -eq 0 ]] || { echo "no Docker engine answers and dockerd needs root"; return 1; }
}

compose() {
  if [[ "$("$COMPOSE" version --short 2>/dev/null || true)" == "${COMPOSE_VERSION#v}" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go is needed to build Compose (Go module proxy)"
  say "building Compose $COMPOSE_VERSION from the Go module proxy (a few minutes the first time)"
  # Its go.mod carries exclude directives, so `go install pkg@version` refuses it: build in
  # the downloaded module instead. One package at a time, low priority: 2 cores.
  local dir
  dir=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" 2>/dev/null \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d "$dir" ]] || die "could not download github.com/docker/compose/v2@$COMPOSE_VERSION"
  mkdir -p "$PLUGINS"
  (cd "$dir" && GOFLAGS="-mod=mod -p=1" CGO_ENABLED=0 nice -n 10 go build -trimpath \
      -ldflags="-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
      -o "$COMPOSE" ./cmd) >"$LOGS/compose-build.log" 2>&1 \
    || die "could not build Compose $COMPOSE_VERSION; see $LOGS/compose-build.log"
  say "Compose $COMPOSE_VERSION -> ${COMPOSE#"$ROOT/"}"
}

# stop: the compose stack first, every profile's services too (its containers would restart
# with the next dockerd), then the dockerd that `engine` started; an engine this script did not
# start is left alone.
stop() {
  pid_alive dockerd || return 0
  DOCKER_CONFIG="$LOCAL/tools" docker compose --project-directory "$ROOT" --profile '*' down \
    >/dev/null 2>&1 || true
  stop_pid dockerd
}

case "${1:-}" in
  engine) engine ;;
  compose) compose ;;
  stop) stop ;;
  check) check ;;
  *) die "usage: $0 engine|compose|stop|check" ;;
esac
