#!/usr/bin/env bash
# Builds oasdiff (github.com/oasdiff/oasdiff, the OpenAPI diff and breaking-change checker) from the Go
# module proxy into a cache directory outside the repository, keyed by version, and prints the binary's
# path. A no-op when it is already there. OASDIFF_VERSION and OASDIFF_CACHE_DIR change what and where.
# OASDIFF_BUILD=never (the tests): fail with a message saying how to build it instead of building it.
set -euo pipefail
source "$(dirname "$0")/../lib/go-tool-cache.sh"

oasdiff_version="${OASDIFF_VERSION:-v1.39.0}"
tool=build-oasdiff
cache_root="${OASDIFF_CACHE_DIR:-$HOME/.cache/cfapi-oasdiff}"
bin_dir="$cache_root/oasdiff-$oasdiff_version"
binary="$bin_dir/oasdiff"

go_tool_cache_begin "${OASDIFF_BUILD:-}" "run bash scripts/spec-breaking/build-oasdiff.sh (or npm run spec:breaking) first"
echo "build-oasdiff: building github.com/oasdiff/oasdiff@$oasdiff_version (cold: a few minutes on 2 cores)" >&2
GOFLAGS=-mod=mod GOBIN="$staged" go install -trimpath -ldflags="-s -w" "github.com/oasdiff/oasdiff@$oasdiff_version"
"$staged/oasdiff" --version >&2 || true
go_tool_cache_publish
