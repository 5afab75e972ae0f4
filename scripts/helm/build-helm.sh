#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v4, the Kubernetes package manager) from the Go module proxy into a cache
# directory outside the repository, keyed by version, and prints the binary's path. A no-op when it is
# already there. HELM_VERSION and HELM_CACHE_DIR change what and where. HELM_BUILD=never (the tests):
# fail with a message saying how to build it instead of building it. Same pattern as
# scripts/spec-breaking/build-oasdiff.sh.
set -euo pipefail

helm_version="${HELM_VERSION:-v4.3.2}"
cache_root="${HELM_CACHE_DIR:-$HOME/.cache/cfapi-helm}"
bin_dir="$cache_root/$helm_version"
binary="$bin_dir/helm"

if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi
if [[ "${HELM_BUILD:-}" == "never" ]]; then
  echo "build-helm: helm $helm_version is not built ($binary): run npm run helm:build (bash scripts/helm/build-helm.sh) first" >&2
  exit 1
fi

# One build at a time: two runs started together wait for the first instead of compiling side by side.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  echo "build-helm: another build is running; waiting for it" >&2
  flock 9
fi
if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build-helm: Go is required (expected at /usr/local/go)" >&2; exit 1; }
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
started=$SECONDS
echo "build-helm: building helm.sh/helm/v4/cmd/helm@$helm_version (cold: several minutes on 2 cores)" >&2
# The version is stamped the way helm's own Makefile does, so `helm version` names it.
GOBIN="$scratch/bin" go install -trimpath \
  -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
  "helm.sh/helm/v4/cmd/helm@$helm_version"
"$scratch/bin/helm" version --short >&2
echo "build-helm: built in $((SECONDS - started))s" >&2
# Publish by a directory rename, so nobody ever sees a half-copied binary.
staged="$(mktemp -d "$cache_root/.staging-XXXXXX")"
cp "$scratch/bin/helm" "$staged/"
chmod 755 "$staged" "$staged/helm"
rm -rf "$bin_dir"
mv "$staged" "$bin_dir"
echo "$binary"
