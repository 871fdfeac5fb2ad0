#!/usr/bin/env bash
# The suite's testcontainers path, run by `make test`: a few integration tests against Kafka and
# PostgreSQL containers they start themselves (TEST_PLATFORM=containers, integration/platforms.py).
# Needs a Docker engine: the running one, or docker.io installed and dockerd started here (as
# root; stopped again afterwards). Where none can run (not root, no apt, dockerd refuses to
# start), says why and skips; a failure after that (images, tests) fails.
source "$(dirname "$0")/common.sh"

SMOKE=(integration/test_sink.py integration/test_topics_ensure.py
       integration/test_replay_markers.py integration/test_records_sql.py)

if ! reason=$(bash "$ROOT/devstack/docker.sh" check); then
  say "testcontainers smoke skipped: $reason"
  exit 0
fi
if ! docker version >/dev/null 2>&1 && ! pid_alive dockerd; then
  trap 'bash "$ROOT/devstack/docker.sh" stop' EXIT  # started for this run only
fi
if ! bash "$ROOT/devstack/docker.sh" engine; then
  tail -n 5 "$LOGS/dockerd.log" 2>/dev/null || true
  say "testcontainers smoke skipped: no Docker engine could be started here (above)"
  exit 0
fi
bash "$ROOT/devstack/images.sh" kafka postgres
say "testcontainers smoke: ${SMOKE[*]}"
cd "$ROOT"
TEST_PLATFORM=containers "$VENV/bin/pytest" -p no:cacheprovider "${SMOKE[@]}"
