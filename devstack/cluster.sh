#!/usr/bin/env bash
# Three KRaft nodes from the same Maven jars as kafka.sh, each broker + controller, on loopback:
# replication 3, min.insync.replicas=2, no unclean leader election (`make up CLUSTER=3`, and the
# cluster fault suite's own copy).
#   devstack/cluster.sh start|stop|status|bootstrap|start-node N|stop-node N
# CLUSTER_PORTS              the nodes' client ports (default "9092 9192 9292")
# CLUSTER_CONTROLLER_PORTS   their controller ports (default each client port + 1)
# CLUSTER_HOME               configs, data and pids (default .local/cluster)
source "$(dirname "$0")/common.sh"

read -r -a PORTS <<<"${CLUSTER_PORTS:-9092 9192 9292}"
read -r -a CONTROLLER_PORTS <<<"${CLUSTER_CONTROLLER_PORTS:-$((PORTS[0] + 1)) $((PORTS[1] + 1)) $((PORTS[2] + 1))}"
(( ${#PORTS[@]} == 3 && ${#CONTROLLER_PORTS[@]} == 3 )) || die "CLUSTER_PORTS names three ports"
CLUSTER_HOME="${CLUSTER_HOME:-$LOCAL/cluster}"
RUN="$CLUSTER_HOME/run"  # pid_alive/stop_pid (common.sh) keep this cluster's pids here
NAME=$(basename "$CLUSTER_HOME")
LIBS="$LOCAL/kafka/libs"

voters() {
  local n list=()
  for n in 1 2 3; do list+=("$n@127.0.0.1:${CONTROLLER_PORTS[n - 1]}"); done
  (IFS=,; echo "${list[*]}")
}

bootstrap() {
  local port list=()
  for port in "${PORTS[@]}"; do list+=("localhost:$port"); done
  (IFS=,; echo "${list[*]}")
}

# Failover settings: a broker that stops heartbeating is fenced (and leaves every ISR) after
# 4 s rather than 9; the thread counts and the cleaner buffer are sized for three JVMs of
# 256 MB heap on two cores.
write_config() {
  local n=$1 port=${PORTS[$1 - 1]} controller=${CONTROLLER_PORTS[$1 - 1]}
  mkdir -p "$CLUSTER_HOME/node$n/data"
  cat >"$CLUSTER_HOME/node$n/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://localhost:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$CLUSTER_HOME/node$n/data
num.partitions=1
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=4000
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
background.threads=2
log.cleaner.dedupe.buffer.size=16777216
PROPS
}

JAVA_ARGS=(-Xms128m -Xmx256m -XX:+UseG1GC -XX:MaxDirectMemorySize=64m -Djava.awt.headless=true
           -Dlog4j2.configurationFile="$LOCAL/kafka/log4j2.properties" -cp "$LIBS/*")

cluster_id() {
  local id_file="$CLUSTER_HOME/cluster.id"
  [[ -f "$id_file" ]] || kafka_cluster_id >"$id_file"
  cat "$id_file"
}

format_storage() {
  local n=$1
  [[ -f "$CLUSTER_HOME/node$n/data/meta.properties" ]] && return 0
  java "${JAVA_ARGS[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" \
    -c "$CLUSTER_HOME/node$n/server.properties" >>"$(node_log "$n")" 2>&1 \
    || die "formatting node $n failed; see $(node_log "$n")"
}

node_log() { echo "$LOGS/$NAME-node$1.log"; }

start_node() {
  local n=$1 port=${PORTS[$1 - 1]}
  if pid_alive "node$n"; then return 0; fi
  mkdir -p "$RUN"
  port_open "$port" && die "port $port is taken by a process that this script did not start"
  write_config "$n"
  format_storage "$n"
  nohup java "${JAVA_ARGS[@]}" kafka.Kafka "$CLUSTER_HOME/node$n/server.properties" \
    >>"$(node_log "$n")" 2>&1 </dev/null &
  echo $! >"$RUN/node$n.pid"
}

start() {
  bash "$ROOT/devstack/kafka.sh" fetch
  mkdir -p "$LOCAL/kafka" && cp "$ROOT/devstack/kafka/log4j2.properties" "$LOCAL/kafka/log4j2.properties"
  local n formatting=()
  mkdir -p "$CLUSTER_HOME" && cluster_id >/dev/null
  for n in 1 2 3; do  # a format is a JVM run of its own: the three at once
    pid_alive "node$n" || { write_config "$n"; format_storage "$n" & formatting+=($!); }
  done
  for n in "${formatting[@]}"; do wait "$n" || exit 1; done
  for n in 1 2 3; do start_node "$n"; done
  for n in 1 2 3; do
    wait_for "node $n" 120 port_open "${PORTS[n - 1]}" \
      || die "node $n did not open port ${PORTS[n - 1]}; see $(node_log "$n")"
  done
  say "kafka cluster up: $(bootstrap) (pids $(cat "$RUN"/node{1,2,3}.pid | tr '\n' ' ')logs $LOGS/$NAME-node*.log)"
}

# All at once: a node stopped after the others waits in vain for a controller quorum.
stop() {
  local n
  for n in 1 2 3; do stop_pid "node$n" & done
  wait
}

status() {
  local n
  for n in 1 2 3; do pid_alive "node$n" || return 1; done
}

node_number() {
  [[ "${1:-}" =~ ^[123]$ ]] || die "a node is 1, 2 or 3 (got '${1:-}')"
  echo "$1"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  bootstrap) bootstrap ;;
  start-node) start_node "$(node_number "${2:-}")" ;;
  stop-node) stop_pid "node$(node_number "${2:-}")" ;;
  *) die "usage: $0 start|stop|status|bootstrap|start-node N|stop-node N" ;;
esac
