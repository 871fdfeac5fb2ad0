#!/usr/bin/env bash
# Local stand-ins for the images docker-compose.yml and the Dockerfile name, for machines
# that reach package registries but no image registry. Each is built only when its tag is
# absent (a pulled official image is kept), from a debootstrap'ed Debian, Debian's packages,
# Kafka's jars from Maven Central, Jaeger and Prometheus built from the Go module proxy
# (devstack/tools.sh observe), and carries the label timestamp-cqrs.stand-in.
#   bash devstack/images.sh [python] [kafka] [postgres] [jaeger] [prometheus]
#                                      build what is missing (default: the first three, which
#                                      `docker compose up` needs; the last two are the
#                                      "observe" profile's)
# Needs root (debootstrap) and a Docker engine (devstack/docker.sh engine).
source "$(dirname "$0")/common.sh"
HERE="$ROOT/devstack/images"
WORK="$LOCAL/images"
BASE=timestamp-cqrs/debian:bookworm-minbase
LABEL_KEY=timestamp-cqrs.stand-in
LABEL_VALUE="built locally by devstack/images.sh, not the official image"
PYTHON_IMAGE=python:3.11.7-slim-bookworm
KAFKA_IMAGE=apache/kafka:4.0.1
# compose_image REPOSITORY -> the REPOSITORY:TAG docker-compose.yml names (postgres:15 today).
compose_image() {
  local image
  image=$(sed -n "s|^[[:space:]]*image:[[:space:]]*\($1:[^[:space:]]*\).*|\1|p" \
    "$ROOT/docker-compose.yml" | head -n1)
  [[ -n "$image" ]] || die "docker-compose.yml names no $1 image"
  echo "$image"
}
POSTGRES_IMAGE=$(compose_image postgres)
JAEGER_IMAGE=$(compose_image jaegertracing/jaeger)
PROMETHEUS_IMAGE=$(compose_image prom/prometheus)
export DOCKER_BUILDKIT=0  # the engine's own builder: BuildKit would look for frontends online

present() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror apt uses here (deb822 URIs: or a one-line `deb` entry).
debian_mirror() {
  local file files=()
  for file in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [[ -f $file ]] && files+=("$file")
  done
  (( ${#files[@]} )) || return 0
  sed -n -e 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' \
    -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' \
    "${files[@]}" | head -n1
}

base() {
  present "$BASE" && return 0
  command -v debootstrap >/dev/null || bash "$ROOT/devstack/packages.sh" debootstrap
  local mirror; mirror=$(debian_mirror)
  mirror=${mirror:-http://deb.debian.org/debian}
  say "debootstrap bookworm (minbase) from $mirror"
  rm -rf "$WORK/rootfs" && mkdir -p "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$LOGS/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $LOGS/debootstrap.log"
  rm -rf "$WORK/rootfs"/var/cache/apt/archives/*.deb "$WORK/rootfs"/var/lib/apt/lists/*
  tar -C "$WORK/rootfs" -c . | docker import --change "LABEL $LABEL_KEY=\"$LABEL_VALUE\"" - "$BASE" >/dev/null
  rm -rf "$WORK/rootfs"
}

# build TAG DIR [ARGS...] -> docker build DIR as TAG on the host network (apt and PyPI).
build() {
  local tag=$1 dir=$2; shift 2
  say "building the stand-in $tag"
  docker build --network host --label "$LABEL_KEY=$LABEL_VALUE" --build-arg "BASE=$BASE" -t "$tag" "$@" "$dir" \
    >"$LOGS/image-${tag//[:\/]/_}.log" 2>&1 \
    || die "could not build $tag; see $LOGS/image-${tag//[:\/]/_}.log"
}

python_image() {
  present "$PYTHON_IMAGE" && return 0
  # The machine's extra CAs (a TLS-inspecting proxy's) go into the image's trust store, so
  # the app build's pip reaches PyPI as the host does.
  local context="$WORK/python"
  rm -rf "$context" && mkdir -p "$context/ca" && cp "$HERE/python/Dockerfile" "$context/"
  cp /usr/local/share/ca-certificates/*.crt "$context/ca/" 2>/dev/null || true
  build "$PYTHON_IMAGE" "$context"
}

kafka_image() {
  present "$KAFKA_IMAGE" && return 0
  local context="$WORK/kafka"
  rm -rf "$context" && mkdir -p "$context"
  cp -r "$HERE/kafka/." "$context/"
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven)"
  say "resolving Kafka's jars from Maven Central"
  mvn -q -B -f "$ROOT/devstack/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$context/libs" -DincludeScope=runtime \
      >"$LOGS/image-kafka-maven.log" 2>&1 \
    && mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$context/libs" -DincludeScope=runtime >>"$LOGS/image-kafka-maven.log" 2>&1 \
    || die "Maven could not resolve Kafka; see $LOGS/image-kafka-maven.log"
  cp "$ROOT/devstack/kafka/log4j2.properties" "$context/config/log4j2.properties"
  build "$KAFKA_IMAGE" "$context"
}

postgres_image() {
  present "$POSTGRES_IMAGE" && return 0
  local major=${POSTGRES_IMAGE#postgres:}; major=${major%%[.-]*}
  build "$POSTGRES_IMAGE" "$HERE/postgres" --build-arg "PG_MAJOR=$major"
}

# Jaeger and Prometheus: the binaries devstack/tools.sh builds (the same releases as the tags).
observe_image() {
  local tag=$1 name=$2; shift 2
  present "$tag" && return 0
  local context="$WORK/$name" binary
  bash "$ROOT/devstack/tools.sh" observe >/dev/null || die "could not build Jaeger and Prometheus"
  rm -rf "$context" && mkdir -p "$context" && cp -r "$HERE/$name/." "$context/"
  for binary in "$@"; do cp "$LOCAL/tools/$binary" "$context/"; done
  build "$tag" "$context"
}

tags=("$BASE")
base
for image in "${@:-python kafka postgres}"; do
  for image in $image; do
    case $image in
      python) python_image; tags+=("$PYTHON_IMAGE") ;;
      kafka) kafka_image; tags+=("$KAFKA_IMAGE") ;;
      postgres) postgres_image; tags+=("$POSTGRES_IMAGE") ;;
      jaeger) observe_image "$JAEGER_IMAGE" jaeger jaeger; tags+=("$JAEGER_IMAGE") ;;
      prometheus)
        observe_image "$PROMETHEUS_IMAGE" prometheus prometheus promtool
        tags+=("$PROMETHEUS_IMAGE") ;;
      *) die "usage: $0 [python] [kafka] [postgres] [jaeger] [prometheus]" ;;
    esac
  done
done
for tag in "${tags[@]}"; do
  say "image $tag: $(docker image inspect -f '{{ .Size }}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')$(
    docker image inspect -f '{{ index .Config.Labels "'"$LABEL_KEY"'" }}' "$tag" \
      | grep -q . && echo ' (local stand-in)')"
done
