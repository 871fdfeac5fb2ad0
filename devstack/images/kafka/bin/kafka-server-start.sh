#!/bin/bash
# kafka-server-start.sh server.properties: the broker, with the distribution's defaults.
home=$(cd "$(dirname "$0")/.." && pwd)
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$home/config/log4j2.properties}"
export KAFKA_HEAP_OPTS KAFKA_LOG4J_OPTS
exec "$home/bin/kafka-run-class.sh" kafka.Kafka "$@"
