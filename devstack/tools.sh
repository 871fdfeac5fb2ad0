#!/usr/bin/env bash
# Offline checking tools for the Helm chart (deploy/helm) and the alert rules
# (deploy/prometheus), each installed only when missing:
#   helm         built from the Go module proxy   -> .local/tools/helm
#   kubeconform  built from the Go module proxy   -> .local/tools/kubeconform
#   promtool     built from the Go module proxy   -> .local/tools/promtool
#   kubernetes-validate (PyPI, into .venv)         -> ships the Kubernetes JSON schemas
#   .local/tools/k8s-schemas/                      -> those schemas, laid out for kubeconform
# Only package registries are reachable here, so nothing is downloaded at check time:
# kubeconform reads the schemas from disk (see SCHEMA_LOCATION below).
#
#   bash devstack/tools.sh          install what is missing; says what is there (on stderr)
#   bash devstack/tools.sh --env    the same, then prints shell assignments on stdout:
#                                   HELM, KUBECONFORM, KUBE_VERSION, SCHEMA_LOCATION,
#                                   KUBERNETES_VALIDATE, PROMTOOL
#   bash devstack/tools.sh promtool only promtool (what `make rules-lint` needs)
#   bash devstack/tools.sh observe  promtool, prometheus and jaeger (`make up OBSERVE=1`, the
#                                   trace and Prometheus tests); prints PROMETHEUS and JAEGER.
#
# The Go builds take a few minutes on 2 cores the first time (later runs find the binaries).
# GO_BUILD_JOBS: packages Go compiles at once (default 1: the machine may be busy); the
# builds run at low priority (nice) either way.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.local/tools"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
GO_BUILD_JOBS="${GO_BUILD_JOBS:-1}"

HELM_VERSION=v3.21.4                 # helm.sh/helm/v3
KUBECONFORM_VERSION=v0.7.0           # github.com/yannh/kubeconform
# Prometheus 3.16.0: its Go module is github.com/prometheus/prometheus v0.316.0 (v0.3XX.Y is 3.XX.Y)
PROMTOOL_VERSION=3.16.0
PROMETHEUS_MODULE_VERSION=v0.316.0
KUBERNETES_VALIDATE_VERSION=1.37.0   # PyPI; ships schemas for Kubernetes 1.25 … 1.37
# The Kubernetes version the chart is checked against (any one kubernetes-validate ships).
KUBE_VERSION="${KUBE_VERSION:-1.33.0}"

say() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$TOOLS"
# One run at a time (`make test` starts the observe build in the background and the tests ask
# for it again): a second run waits here for the first, then finds its binaries.
exec {lock}>"$TOOLS/.build.lock"
flock "$lock"

# ---- helm and kubeconform from the Go module proxy ---------------------------------------------

# go_build NAME PACKAGE VERSION LDFLAGS -> go install PACKAGE@VERSION into .local/tools.
go_build() {
  local name=$1 package=$2 version=$3 ldflags=$4
  command -v go >/dev/null || die "go is needed to build $name (Go module proxy)"
  say "building $name $version from the Go module proxy (a few minutes the first time)"
  GOBIN="$TOOLS" GOFLAGS="-mod=mod -p=$GO_BUILD_JOBS" CGO_ENABLED=0 \
    nice -n 10 go install -trimpath -ldflags="-s -w $ldflags" "$package@$version" \
    || die "could not build $package@$version"
}

# The version the binary reports, stamped in by the ldflags below ("" when missing).
helm_version() { "$TOOLS/helm" version --template '{{ .Version }}' 2>/dev/null || true; }
kubeconform_version() { "$TOOLS/kubeconform" -v 2>/dev/null || true; }

# helm: what helm's own Makefile stamps into a release build, i.e. its version and the
# Kubernetes version of its client-go as the default capabilities of `helm template` and
# `helm lint` (a bare `go install` leaves v1.20, older than the chart's kubeVersion).
helm_ldflags() {
  local gomod client_go pkg
  gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod" 2>/dev/null || true)
  [[ "$client_go" =~ ^v0\.([0-9]+)\. ]] || die "no k8s.io/client-go version in '$gomod'"
  local minor=${BASH_REMATCH[1]} version=helm.sh/helm/v3/internal/version
  printf -- '-X %s.version=%s -X %s.gitTreeState=clean' "$version" "$HELM_VERSION" "$version"
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    printf -- ' -X %s.k8sVersionMajor=1 -X %s.k8sVersionMinor=%s' "$pkg" "$pkg" "$minor"
  done
}

# promtool: the version stamped in as Prometheus' release build does ("promtool, version X").
promtool_version() {
  "$TOOLS/promtool" --version 2>/dev/null | sed -n 's/^promtool, version \([^ ]*\).*/\1/p' || true
}
if [[ "$(promtool_version)" != "$PROMTOOL_VERSION" ]]; then
  go_build promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_MODULE_VERSION" \
    "-X github.com/prometheus/common/version.Version=$PROMTOOL_VERSION"
  [[ "$(promtool_version)" == "$PROMTOOL_VERSION" ]] \
    || die "$TOOLS/promtool does not report $PROMTOOL_VERSION"
  say "promtool $PROMTOOL_VERSION -> $TOOLS/promtool"
fi
if [[ "${1:-}" == "promtool" ]]; then
  printf 'PROMTOOL=%q\n' "$TOOLS/promtool"
  exit 0
fi

# Prometheus (its API; the web UI's assets are not built) and Jaeger v2 for OBSERVE=1.
# Jaeger's go.mod has a replace directive, which `go install pkg@version` refuses: it is built
# from its module as the proxy serves it, in the module cache.
# github.com/jaegertracing/jaeger v1.76.0: its cmd/jaeger is Jaeger v2.13.0. Both releases are
# the ones docker-compose.yml's images name (devstack/images.sh builds stand-ins from these).
JAEGER_MODULE_VERSION=v1.76.0
if [[ "${1:-}" == "observe" ]]; then
  if [[ "$("$TOOLS/prometheus" --version 2>/dev/null | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p')" \
        != "$PROMTOOL_VERSION" ]]; then
    go_build prometheus github.com/prometheus/prometheus/cmd/prometheus \
      "$PROMETHEUS_MODULE_VERSION" "-X github.com/prometheus/common/version.Version=$PROMTOOL_VERSION"
  fi
  stamp="$TOOLS/.jaeger-$JAEGER_MODULE_VERSION"
  if [[ ! -x "$TOOLS/jaeger" || ! -f "$stamp" ]]; then
    say "building jaeger from github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION (many minutes)"
    dir=$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [[ -d "$dir" ]] || die "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION not downloaded"
    (cd "$dir" && GOFLAGS="-mod=mod -p=$GO_BUILD_JOBS" CGO_ENABLED=0 nice -n 10 \
      go build -trimpath -ldflags="-s -w" -o "$TOOLS/jaeger" ./cmd/jaeger) \
      || die "could not build jaeger"
    touch "$stamp"
  fi
  printf 'PROMETHEUS=%q\nJAEGER=%q\n' "$TOOLS/prometheus" "$TOOLS/jaeger"
  exit 0
fi

if [[ "$(helm_version)" != "$HELM_VERSION" ]]; then
  command -v go >/dev/null || die "go is needed to build helm (Go module proxy)"
  go_build helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$(helm_ldflags)"
  [[ "$(helm_version)" == "$HELM_VERSION" ]] || die "$TOOLS/helm does not report $HELM_VERSION"
  say "helm $HELM_VERSION -> $TOOLS/helm"
fi

if [[ "$(kubeconform_version)" != "$KUBECONFORM_VERSION" ]]; then
  go_build kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" \
    "-X main.version=$KUBECONFORM_VERSION"
  [[ "$(kubeconform_version)" == "$KUBECONFORM_VERSION" ]] \
    || die "$TOOLS/kubeconform does not report $KUBECONFORM_VERSION"
  say "kubeconform $KUBECONFORM_VERSION -> $TOOLS/kubeconform"
fi

# ---- kubernetes-validate into the project venv -------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
installed=$("$VENV/bin/python" -c \
  'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || true)
if [[ "$installed" != "$KUBERNETES_VALIDATE_VERSION" ]]; then
  say "installing kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $VENV"
  "$VENV/bin/pip" install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    || die "could not install kubernetes-validate"
fi

# ---- the schemas, laid out for kubeconform -----------------------------------------------------
# kubernetes-validate keeps them in site-packages/kubernetes_validate/kubernetes-json-schema/
# as v<X.Y.Z>-local[-strict]/<kind>[-<group>]-<version>.json (deployment-apps-v1.json,
# service-v1.json, ingress-networking-v1.json, …) plus one _definitions.json per directory:
# the file names are exactly kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json. But each
# file declares "$id": "https://kubernetes.io/api/<kind>/…" and refers to its definitions as
# "/api/_definitions.json#/$defs/…", i.e. https://kubernetes.io/api/_definitions.json, a URI
# only kubernetes-validate's own registry maps to the file: kubeconform fails to compile such
# a schema (it would have to fetch the URI) and reports "could not find schema". So the two
# directories for KUBE_VERSION are copied with the "$id"s dropped and the reference made
# relative ("_definitions.json#/$defs/…"), which kubeconform resolves to the file beside it.
SCHEMA_SRC=$("$VENV/bin/python" -c '
import importlib.resources as r
print(r.files("kubernetes_validate").joinpath("kubernetes-json-schema"))')
SCHEMAS="$TOOLS/k8s-schemas"
# The stamp names the source and the layout revision ("layout2": bump it when the copy changes).
stamp="$SCHEMAS/.layout2-kubernetes-validate-$KUBERNETES_VALIDATE_VERSION-v$KUBE_VERSION"
if [[ ! -f "$stamp" ]]; then
  "$VENV/bin/python" - "$SCHEMA_SRC" "$SCHEMAS" "v$KUBE_VERSION" <<'PY' \
    || die "could not lay out the schemas"
import json, pathlib, shutil, sys

source, target, version = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
for flavour in ("local", "local-strict"):
    src = source / f"{version}-{flavour}"
    if not (src / "_definitions.json").is_file():
        sys.exit(f"kubernetes-validate has no schemas at {src}")
    dst = target / f"{version}-{flavour}"
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for file in src.glob("*.json"):
        schema = json.loads(file.read_text())
        schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        (tmp / file.name).write_text(text)
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)
PY
  rm -f "$SCHEMAS"/.layout*-v"$KUBE_VERSION" && touch "$stamp"
  say "schemas for Kubernetes $KUBE_VERSION -> $SCHEMAS (from $SCHEMA_SRC)"
fi

# kubeconform's -schema-location template for these files (-strict picks the -strict dir).
SCHEMA_LOCATION="$SCHEMAS/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"

say "helm $HELM_VERSION, kubeconform $KUBECONFORM_VERSION, kubernetes-validate" \
  "$KUBERNETES_VALIDATE_VERSION (schemas for Kubernetes $KUBE_VERSION in ${SCHEMAS#"$ROOT/"})"
if [[ "${1:-}" == "--env" ]]; then
  printf 'HELM=%q\n' "$TOOLS/helm"
  printf 'KUBECONFORM=%q\n' "$TOOLS/kubeconform"
  printf 'KUBE_VERSION=%q\n' "$KUBE_VERSION"
  printf 'SCHEMA_LOCATION=%q\n' "$SCHEMA_LOCATION"
  printf 'KUBERNETES_VALIDATE=%q\n' "$VENV/bin/kubernetes-validate"
  printf 'PROMTOOL=%q\n' "$TOOLS/promtool"
fi
