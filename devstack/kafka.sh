#!/usr/bin/env bash
# Apache Kafka (jars from Maven Central) as one KRaft node: broker + controller.
#   devstack/kafka.sh fetch|start|stop|status
source "$(dirname "$0")/common.sh"

KAFKA_HOME="$LOCAL/kafka"
LIBS="$KAFKA_HOME/libs"
DATA="$KAFKA_HOME/data"
CONFIG="$KAFKA_HOME/server.properties"

fetch() {
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven)"
  say "resolving Apache Kafka jars from Maven Central into $LIBS (first start only)"
  rm -rf "$LIBS"
  mvn -q -B -f "$ROOT/devstack/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime >"$LOGS/kafka-maven.log" 2>&1 \
    || die "Maven could not resolve Kafka; see $LOGS/kafka-maven.log"
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$DATA"
  cat >"$CONFIG" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT
advertised.listeners=PLAINTEXT://localhost:$KAFKA_PORT,SSL://localhost:$KAFKA_SSL_PORT,SASL_SSL://localhost:$KAFKA_SASL_SSL_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
ssl.keystore.type=PEM
ssl.keystore.location=$LOCAL/tls/server.pem
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  cp "$ROOT/devstack/kafka/log4j2.properties" "$KAFKA_HOME/log4j2.properties"
}

JAVA_ARGS=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
           -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" -cp "$LIBS/*")

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then
    [[ -f "$DATA/.scram" ]] && return 0
    die "$DATA was formatted without the SCRAM user; remove it (rm -rf $DATA) to re-format"
  fi
  local cluster_id
  cluster_id=$(kafka_cluster_id)
  say "formatting KRaft storage (cluster $cluster_id)"
  java "${JAVA_ARGS[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_SECRET]" \
    >>"$LOGS/kafka.log" 2>&1 || die "kafka storage format failed; see $LOGS/kafka.log"
  touch "$DATA/.scram"
}

start() {
  if pid_alive kafka; then say "kafka already running (pid $(cat "$RUN/kafka.pid"))"; return 0; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by a process that make up did not start"
  fetch
  bash "$ROOT/devstack/tls.sh"
  write_config
  format_storage
  nohup java "${JAVA_ARGS[@]}" kafka.Kafka "$CONFIG" >>"$LOGS/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN/kafka.pid"
  wait_for "kafka" 120 port_open "$KAFKA_PORT" || die "kafka did not open port $KAFKA_PORT; see $LOGS/kafka.log"
  say "kafka up on localhost:$KAFKA_PORT (pid $(cat "$RUN/kafka.pid")); $(grep -m1 -o 'Kafka version: [^ ]*' "$LOGS/kafka.log" || true)"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop_pid kafka ;;
  status) pid_alive kafka ;;
  *) die "usage: $0 fetch|start|stop|status" ;;
esac
