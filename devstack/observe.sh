#!/usr/bin/env bash
# The observability side of `make up OBSERVE=1`: Jaeger v2 (in-memory traces, OTLP/HTTP in) and
# Prometheus (scraping the three services, with deploy/prometheus/alerts.yml), both built from
# the Go module proxy by `devstack/tools.sh observe` the first time (large builds: minutes).
#   devstack/observe.sh start|stop|status|env
#   devstack/observe.sh build    build them in the background when missing (`make test` does,
#                                while the unit tests run; `start` then waits for that build)
# Ports: OTLP_HTTP_PORT (4318), JAEGER_QUERY_PORT (16686, /api/traces), PROMETHEUS_PORT (9090).
source "$(dirname "$0")/common.sh"

OTLP_HTTP_PORT="${OTLP_HTTP_PORT:-4318}"
JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
JAEGER_GRPC_PORT="${JAEGER_GRPC_PORT:-16685}"
JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-13133}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
OBSERVE="$LOCAL/observe"

jaeger_config() {
  cat <<YAML
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$JAEGER_QUERY_PORT
    grpc:
      endpoint: 127.0.0.1:$JAEGER_GRPC_PORT
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:$JAEGER_HEALTH_PORT
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$OTLP_HTTP_PORT
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
YAML
}

prometheus_config() {
  cat <<YAML
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: timestamp-command
    static_configs: [{targets: ["127.0.0.1:${COMMAND_PORT:-7080}"]}]
  - job_name: timestamp-consumer
    static_configs: [{targets: ["127.0.0.1:${CONSUMER_PORT:-7081}"]}]
  - job_name: timestamp-query
    static_configs: [{targets: ["127.0.0.1:${QUERY_PORT:-7082}"]}]
YAML
}

ready() { curl -sf "$1" >/dev/null; }

start() {
  local tools; tools=$(bash "$ROOT/devstack/tools.sh" observe) || die "could not build Jaeger and Prometheus"
  eval "$tools"
  mkdir -p "$OBSERVE/prometheus-data"
  jaeger_config >"$OBSERVE/jaeger.yaml"
  prometheus_config >"$OBSERVE/prometheus.yml"
  if ! pid_alive jaeger; then
    nohup "$JAEGER" --config "$OBSERVE/jaeger.yaml" >>"$LOGS/jaeger.log" 2>&1 </dev/null &
    echo $! >"$RUN/jaeger.pid"
  fi
  if ! pid_alive prometheus; then
    nohup "$PROMETHEUS" --config.file "$OBSERVE/prometheus.yml" \
      --storage.tsdb.path "$OBSERVE/prometheus-data" \
      --web.listen-address "127.0.0.1:$PROMETHEUS_PORT" >>"$LOGS/prometheus.log" 2>&1 </dev/null &
    echo $! >"$RUN/prometheus.pid"
  fi
  wait_for jaeger 60 ready "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" \
    || die "jaeger did not start; see $LOGS/jaeger.log"
  wait_for prometheus 60 ready "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" \
    || die "prometheus did not start; see $LOGS/prometheus.log"
  say "jaeger http://localhost:$JAEGER_QUERY_PORT/api/traces (OTLP/HTTP in on $OTLP_HTTP_PORT)," \
    "prometheus http://localhost:$PROMETHEUS_PORT/api/v1/query"
}

stop() {
  stop_pid prometheus
  stop_pid jaeger
  rm -rf "$OBSERVE/prometheus-data"
}

status() { pid_alive jaeger && pid_alive prometheus; }

# Every core, at the lowest priority (tools.sh's nice 10, plus 9): the tests running meanwhile
# keep the CPU they want, the build takes what they leave.
build_in_background() {
  GO_BUILD_JOBS="${GO_BUILD_JOBS:-$(nproc)}" nohup nice -n 9 bash "$ROOT/devstack/tools.sh" observe \
    >"$LOGS/observe-build.log" 2>&1 </dev/null &
  say "Jaeger and Prometheus: built in the background when missing (log $LOGS/observe-build.log)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  build) build_in_background ;;
  # What the services need to send their traces here.
  env) printf 'export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%s\n' "$OTLP_HTTP_PORT" ;;
  *) die "usage: $0 start|stop|status|build|env" ;;
esac
