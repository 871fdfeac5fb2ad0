#!/usr/bin/env bash
# Run postman_collection.json with the pinned newman (devstack/newman/package-lock.json)
# against the running services (default http://localhost:7080/7081/7082; `make up`).
#   bash devstack/newman.sh                                  # cli reporter, stop at first failure
#   bash devstack/newman.sh --env-var commandUrl=http://host:7080 --reporters cli,junit
# Extra arguments go to `newman run` unchanged.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NEWMAN_DIR="$ROOT/devstack/newman"

command -v npm >/dev/null || { echo "[newman] error: npm not found (install Node.js >= 16)" >&2; exit 127; }

if [[ ! -d "$NEWMAN_DIR/node_modules" ]]; then
  echo "[newman] installing the pinned newman into devstack/newman/node_modules (npm ci)"
  npm ci --prefix "$NEWMAN_DIR" --no-audit --no-fund
fi

exec "$NEWMAN_DIR/node_modules/.bin/newman" run "$ROOT/postman_collection.json" --bail "$@"
