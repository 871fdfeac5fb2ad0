#!/usr/bin/env bash
# Audit the pinned dependencies (requirements.lock) for known vulnerabilities with pip-audit.
# pip-audit prints "No known vulnerabilities found" even when it could check nothing (for
# example when the vulnerability service is unreachable), so this counts what it skipped
# and says so loudly. It fails on any vulnerability; on packages it could not check it fails
# only with AUDIT_STRICT=1 (this workplace reaches PyPI's package index but no vulnerability
# service, so there every package is "not checked").
source "$(dirname "$0")/common.sh"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
set +e
"$VENV/bin/pip-audit" -r "$ROOT/requirements.lock" --no-deps --disable-pip \
  --progress-spinner off -f json -o "$report" 2>"$report.err"
status=$?
set -e
"$VENV/bin/python" - "$report" "$status" "${AUDIT_STRICT:-0}" <<'PY'
import json, sys
path, status, strict = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
try:
    deps = json.load(open(path))["dependencies"]
except (OSError, ValueError, KeyError):
    sys.exit(f"[audit] pip-audit gave no report (exit {status}); see its output above")
vulnerable = [d for d in deps if d.get("vulns")]
skipped = [d for d in deps if d.get("skip_reason")]
for dep in vulnerable:
    ids = ", ".join(v["id"] for v in dep["vulns"])
    print(f"[audit] {dep['name']} {dep['version']}: {ids}")
print(f"[audit] {len(deps)} packages: {len(deps) - len(skipped)} checked, "
      f"{len(vulnerable)} vulnerable, {len(skipped)} could not be checked")
if skipped:
    print(f"[audit] WARNING: audit incomplete, e.g. {skipped[0]['name']}: "
          f"{skipped[0]['skip_reason']}")
sys.exit(1 if vulnerable or (skipped and strict) else 0)
PY
