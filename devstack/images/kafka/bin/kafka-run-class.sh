#!/bin/bash
# kafka-run-class.sh CLASS ARGS...: the distribution's launcher, reduced to what the stand-in
# needs: the jars in libs/, KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS.
home=$(cd "$(dirname "$0")/.." && pwd)
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=$home/config/tools-log4j2.properties}"
# shellcheck disable=SC2086  # each *_OPTS variable is a list of JVM options
exec java ${KAFKA_HEAP_OPTS:-} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -Djava.awt.headless=true} \
  $KAFKA_LOG4J_OPTS ${KAFKA_OPTS:-} -cp "$home/libs/*" "$@"
