#!/usr/bin/env bash
# Builds oasdiff (github.com/oasdiff/oasdiff, the OpenAPI diff and breaking-change checker) from the Go
# module proxy into a cache directory outside the repository, keyed by version, and prints the binary's
# path. A no-op when it is already there. OASDIFF_VERSION and OASDIFF_CACHE_DIR change what and where. Same pattern as scripts/control-plane/build-binaries.sh.
set -euo pipefail

oasdiff_version="${OASDIFF_VERSION:-v1.39.0}"
cache_root="${OASDIFF_CACHE_DIR:-$HOME/.cache/cfapi-oasdiff}"
bin_dir="$cache_root/oasdiff-$oasdiff_version"
binary="$bin_dir/oasdiff"

if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi
# OASDIFF_BUILD=never (the tests): say how to build it rather than building it here.
if [[ "${OASDIFF_BUILD:-}" == "never" ]]; then
  echo "build-oasdiff: oasdiff $oasdiff_version is not built ($binary): run bash scripts/spec-breaking/build-oasdiff.sh (or npm run spec:breaking) first" >&2
  exit 1
fi

# One build at a time: two runs started together wait for the first instead of compiling side by side.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  echo "build-oasdiff: another build is running; waiting for it" >&2
  flock 9
fi
if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build-oasdiff: Go is required (expected at /usr/local/go)" >&2; exit 1; }
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
echo "build-oasdiff: building github.com/oasdiff/oasdiff@$oasdiff_version (cold: a few minutes on 2 cores)" >&2
GOBIN="$scratch/bin" go install -trimpath -ldflags="-s -w" "github.com/oasdiff/oasdiff@$oasdiff_version"
"$scratch/bin/oasdiff" --version >&2 || true
# Publish by a directory rename, so nobody ever sees a half-copied binary.
staged="$(mktemp -d "$cache_root/.staging-XXXXXX")"
cp "$scratch/bin/oasdiff" "$staged/"
rm -rf "$bin_dir"
mv "$staged" "$bin_dir"
echo "$binary"
