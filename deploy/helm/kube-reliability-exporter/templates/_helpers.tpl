{{/* Central's name: kube-reliability-exporter unless overridden. */}}
{{- define "kre.fullname" -}}
{{- default "kube-reliability-exporter" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The agent's name: kube-reliability-agent for the default. */}}
{{- define "kre.agentName" -}}
{{- printf "%s-agent" (include "kre.fullname" . | trimSuffix "-exporter") | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object; the selectors use name and component only. */}}
{{- define "kre.labels" -}}
app.kubernetes.io/name: kube-reliability-exporter
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "kre.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* The collectors central runs: defaults (files/central-rules.yaml), plus
enabled, minus disabled. */}}
{{- define "kre.collectors" -}}
{{- $rules := .Files.Get "files/central-rules.yaml" | fromYaml -}}
{{- $on := list -}}
{{- range concat $rules.defaultCollectors .Values.collectors.enabled -}}
{{- if not (has . $.Values.collectors.disabled) -}}
{{- $on = append $on . -}}
{{- end -}}
{{- end -}}
{{- $on | uniq | toJson -}}
{{- end -}}

{{/* env entries from a map of RELIABILITY_* variables, sorted by name. */}}
{{- define "kre.env" -}}
{{- range $k := keys . | sortAlpha }}
- name: {{ $k }}
  value: {{ index $ $k | toString | quote }}
{{- end -}}
{{- end -}}
