{{/*
Names, labels and the pieces every pod shares.
*/}}

{{/* The chart's name. */}}
{{- define "timestamp-cqrs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified app name, cut to 52 characters so that "<fullname>-<component>" and the
Jobs' names ("<fullname>-replay-<revision>") stay within Kubernetes' 63.
*/}}
{{- define "timestamp-cqrs.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>". Call with (dict "root" $ "component" "command"). */}}
{{- define "timestamp-cqrs.componentName" -}}
{{- printf "%s-%s" (include "timestamp-cqrs.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "timestamp-cqrs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. Call with (dict "root" $ "component" "command"). */}}
{{- define "timestamp-cqrs.labels" -}}
helm.sh/chart: {{ include "timestamp-cqrs.chart" .root }}
{{ include "timestamp-cqrs.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: timestamp-cqrs
{{- end }}

{{/* Selector labels. Call with (dict "root" $ "component" "command"). */}}
{{- define "timestamp-cqrs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "timestamp-cqrs.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "timestamp-cqrs.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "timestamp-cqrs.configMapName" -}}
{{- printf "%s-config" (include "timestamp-cqrs.fullname" .) }}
{{- end }}

{{/*
The ConfigMap's data (SPEC §2 names), also given inline to the topics hook Job, which runs
before the ConfigMap exists.
*/}}
{{- define "timestamp-cqrs.configData" -}}
LOG_LEVEL: {{ .Values.logLevel | quote }}
LOG_FORMAT: {{ .Values.logFormat | quote }}
KAFKA_BROKER: {{ required "kafka.bootstrapServers is required" .Values.kafka.bootstrapServers | quote }}
KAFKA_PUBLISH_TOPIC: {{ required "kafka.topic is required" .Values.kafka.topic | quote }}
KAFKA_CONSUMER_TOPIC: {{ .Values.kafka.topic | quote }}
KAFKA_GROUP_ID: {{ required "kafka.groupId is required" .Values.kafka.groupId | quote }}
DB_URL: {{ required "postgres.url is required" .Values.postgres.url | quote }}
DB_USERNAME: {{ .Values.postgres.username | quote }}
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* The Secret holding DB_PASSWORD: the chart's own or postgres.existingSecret. */}}
{{- define "timestamp-cqrs.secretName" -}}
{{- if .Values.postgres.existingSecret }}
{{- .Values.postgres.existingSecret }}
{{- else }}
{{- printf "%s-db" (include "timestamp-cqrs.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The database credentials as env entries (consumer, query, replay): DB_PASSWORD from the
Secret, and DB_USERNAME from it too when postgres.existingSecretUsernameKey is set (an
explicit env entry wins over the ConfigMap's DB_USERNAME).
*/}}
{{- define "timestamp-cqrs.dbEnv" -}}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "timestamp-cqrs.secretName" . }}
      key: {{ .Values.postgres.existingSecretPasswordKey | default "password" }}
{{- if and .Values.postgres.existingSecret .Values.postgres.existingSecretUsernameKey }}
- name: DB_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgres.existingSecret }}
      key: {{ .Values.postgres.existingSecretUsernameKey }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by the Deployments and the Jobs. */}}
{{- define "timestamp-cqrs.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Volumes of every pod: /tmp plus extraVolumes. */}}
{{- define "timestamp-cqrs.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
  {{- with .Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Volume mounts of every container: /tmp plus extraVolumeMounts. */}}
{{- define "timestamp-cqrs.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- with .Values.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Checksums that roll the pods when their configuration changes. */}}
{{- define "timestamp-cqrs.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.postgres.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}
