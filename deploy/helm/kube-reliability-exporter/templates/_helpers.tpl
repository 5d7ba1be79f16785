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

{{/* "true" when prometheus-operator's kind (monitoring.coreos.com/v1) is
served by the cluster helm installs to, or prometheusOperator.render says
to render it anyway (helm template without --api-versions); "" else. */}}
{{- define "kre.hasAPI" -}}
{{- $root := index . 0 -}}
{{- $kind := index . 1 -}}
{{- $mode := $root.Values.prometheusOperator.render -}}
{{- if or (eq $mode "always") (and (eq $mode "auto") ($root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" $kind))) -}}
true
{{- end -}}
{{- end -}}

{{/* A Prometheus duration (1h30m, 90s, 500ms) in milliseconds. */}}
{{- define "kre.millis" -}}
{{- $ms := 0 -}}
{{- $units := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "y" 31536000000 -}}
{{- range regexFindAll "[0-9]+(ms|s|m|h|d|w|y)" . -1 -}}
{{- $unit := regexFind "(ms|s|m|h|d|w|y)$" . -}}
{{- $ms = add $ms (mul (trimSuffix $unit . | atoi) (index $units $unit)) -}}
{{- end -}}
{{- $ms -}}
{{- end -}}

{{/* Fails the install when a monitor's scrape timeout exceeds its
interval: prometheus-operator would reject it. */}}
{{- define "kre.checkTimeout" -}}
{{- $name := index . 0 -}}
{{- $m := index . 1 -}}
{{- if gt (include "kre.millis" $m.scrapeTimeout | atoi) (include "kre.millis" $m.interval | atoi) -}}
{{- fail (printf "%s.scrapeTimeout (%s) is longer than %s.interval (%s): Prometheus refuses a scrape timeout above the interval" $name $m.scrapeTimeout $name $m.interval) -}}
{{- end -}}
{{- end -}}
