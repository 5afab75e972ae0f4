{{/* The chart's name, or nameOverride. */}}
{{- define "cf-k8s-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: names the Deployment, ServiceAccount, ConfigMap and RBAC objects. */}}
{{- define "cf-k8s-api.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cf-k8s-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cf-k8s-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cf-k8s-api.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "cf-k8s-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cf-k8s-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cf-k8s-api.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* "true" when the server serves HTTPS itself (tls.enabled, or replacing korifi-api). */}}
{{- define "cf-k8s-api.serverTls" -}}
{{- if or .Values.tls.enabled .Values.korifi.replaceApi -}}true{{- end -}}
{{- end -}}

{{- define "cf-k8s-api.tlsSecretName" -}}
{{- if .Values.tls.secretName -}}
{{- .Values.tls.secretName -}}
{{- else if .Values.korifi.replaceApi -}}
korifi-api-ingress-cert
{{- else -}}
{{- fail "tls.secretName is required when tls.enabled is true" -}}
{{- end -}}
{{- end -}}

{{/* The root namespace: Korifi's when replacing korifi-api, else config.rootNamespace (default cf). */}}
{{- define "cf-k8s-api.rootNamespace" -}}
{{- if .Values.korifi.replaceApi -}}
{{- .Values.korifi.rootNamespace -}}
{{- else -}}
{{- default "cf" .Values.config.rootNamespace -}}
{{- end -}}
{{- end -}}

{{/* "true" when the server runs the reconcilers (never when replacing korifi-api: Korifi's controllers do). */}}
{{- define "cf-k8s-api.reconcilers" -}}
{{- if and (not .Values.korifi.replaceApi) (eq (toString (default false .Values.config.reconcilers)) "true") -}}true{{- end -}}
{{- end -}}

{{- define "cf-k8s-api.mountPaths" -}}
{{- dict "config" "/etc/cf-k8s-api" "tls" "/etc/cf-k8s-api-tls" "data" "/var/lib/cf-k8s-api" "tmp" "/tmp" | toJson -}}
{{- end -}}

{{/*
The server's config file: config.* as given, with what the chart decides itself (backend, listen,
dataDir, tls; rootNamespace and reconcilers when replacing korifi-api).
*/}}
{{- define "cf-k8s-api.config" -}}
{{- $paths := include "cf-k8s-api.mountPaths" . | fromJson -}}
{{- $config := deepCopy .Values.config -}}
{{- $tls := include "cf-k8s-api.serverTls" . -}}
{{- $_ := set $config "backend" "kubernetes" -}}
{{- $_ := set $config "dataDir" $paths.data -}}
{{- $_ := set $config "listen" (dict "host" "0.0.0.0" "port" (int .Values.containerPort) "allowPlainHttp" (not $tls)) -}}
{{- if $tls -}}
{{- $_ := set $config "tls" (dict "certFile" (printf "%s/tls.crt" $paths.tls) "keyFile" (printf "%s/tls.key" $paths.tls)) -}}
{{- end -}}
{{- if .Values.korifi.replaceApi -}}
{{- $_ := set $config "rootNamespace" .Values.korifi.rootNamespace -}}
{{- $_ := set $config "reconcilers" false -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* The CF roles' ClusterRole names (files/cf-roles/), Korifi's names too: what the server may bind. */}}
{{- define "cf-k8s-api.cfRoleNames" -}}
{{- $names := list -}}
{{- range $path, $_ := .Files.Glob "files/cf-roles/*.yaml" -}}
{{- $names = append $names (($.Files.Get $path | fromYaml).metadata.name) -}}
{{- end -}}
{{- sortAlpha $names | toJson -}}
{{- end -}}

{{/*
The rules of files/server-permissions.yaml that apply: `need` always, reconcilers (when the server
reconciles) or registrySecrets (when config.containerRegistry.packageRegistrySecretNames names any),
for `scope` cluster (ClusterRole) or rootNamespace (Role), with placeholders resolved:
resourceNames `cfRoles` and `registrySecrets`.
Arguments: (dict "root" $ "scope" "cluster"|"rootNamespace" "need" "always"|"reconcilers"|"registrySecrets").
*/}}
{{- define "cf-k8s-api.rules" -}}
{{- $root := .root -}}
{{- $permissions := $root.Files.Get "files/server-permissions.yaml" | fromYaml -}}
{{- $secretNames := default (list) ($root.Values.config.containerRegistry | default dict).packageRegistrySecretNames -}}
{{- $rules := list -}}
{{- range $permissions.permissions -}}
{{- if and (eq .scope $.scope) (eq .need $.need) -}}
{{- $rule := dict "apiGroups" (list .apiGroup) "resources" .resources "verbs" .verbs -}}
{{- if eq (toString .resourceNames) "cfRoles" -}}
{{- $_ := set $rule "resourceNames" (include "cf-k8s-api.cfRoleNames" $root | fromJsonArray) -}}
{{- else if eq (toString .resourceNames) "registrySecrets" -}}
{{- $_ := set $rule "resourceNames" $secretNames -}}
{{- else if .resourceNames -}}
{{- $_ := set $rule "resourceNames" .resourceNames -}}
{{- end -}}
{{- $rules = append $rules $rule -}}
{{- end -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
