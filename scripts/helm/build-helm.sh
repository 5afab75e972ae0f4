#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v4, the Kubernetes package manager) from the Go module proxy into a cache
# directory outside the repository, keyed by version, and prints the binary's path. A no-op when it is
# already there. HELM_VERSION and HELM_CACHE_DIR change what and where. HELM_BUILD=never (the tests):
# fail with a message saying how to build it instead of building it.
set -euo pipefail
source "$(dirname "$0")/../lib/go-tool-cache.sh"

helm_version="${HELM_VERSION:-v4.3.2}"
tool=build-helm
cache_root="${HELM_CACHE_DIR:-$HOME/.cache/cfapi-helm}"
bin_dir="$cache_root/$helm_version"
binary="$bin_dir/helm"

go_tool_cache_begin "${HELM_BUILD:-}" "run npm run helm:build (bash scripts/helm/build-helm.sh) first"
started=$SECONDS
echo "build-helm: building helm.sh/helm/v4/cmd/helm@$helm_version (cold: several minutes on 2 cores)" >&2
# The version is stamped the way helm's own Makefile does, so `helm version` names it.
GOFLAGS=-mod=mod GOBIN="$staged" go install -trimpath \
  -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
  "helm.sh/helm/v4/cmd/helm@$helm_version"
"$staged/helm" version --short >&2
echo "build-helm: built in $((SECONDS - started))s" >&2
go_tool_cache_publish
