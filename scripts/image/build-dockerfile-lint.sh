#!/usr/bin/env bash
# Builds dockerfile-lint (scripts/image/dockerfile-lint/: BuildKit's Dockerfile checks, the rules of
# `docker build --check`, from github.com/moby/buildkit at the version its go.mod requires) from the Go
# module proxy into a cache directory outside the repository, and prints the binary's path. Keyed by the
# tool's go.mod, go.sum and source, so a change to any of them builds again and an unchanged tool is a
# no-op. DOCKERFILE_LINT_CACHE_DIR changes where. DOCKERFILE_LINT_BUILD=never (the tests): fail with a
# message saying how to build it instead of building it.
set -euo pipefail
source "$(dirname "$0")/../lib/go-tool-cache.sh"

tool_dir="$(cd "$(dirname "$0")/dockerfile-lint" && pwd)"
buildkit_version="$(awk '$1 == "github.com/moby/buildkit" { print $2 }' "$tool_dir/go.mod")"
[[ -n "$buildkit_version" ]] || { echo "build-dockerfile-lint: no github.com/moby/buildkit requirement in $tool_dir/go.mod" >&2; exit 1; }
source_key="$(cat "$tool_dir/go.mod" "$tool_dir/go.sum" "$tool_dir"/*.go | sha256sum | cut -c1-12)"
tool=build-dockerfile-lint
cache_root="${DOCKERFILE_LINT_CACHE_DIR:-$HOME/.cache/cfapi-dockerfile-lint}"
bin_dir="$cache_root/buildkit-$buildkit_version-$source_key"
binary="$bin_dir/dockerfile-lint"

go_tool_cache_begin "${DOCKERFILE_LINT_BUILD:-}" "run bash scripts/image/build-dockerfile-lint.sh (or npm run image:lint) first"
echo "build-dockerfile-lint: building dockerfile-lint on github.com/moby/buildkit@$buildkit_version (cold: about 3 minutes on 2 cores)" >&2
go build -C "$tool_dir" -trimpath -ldflags="-s -w" -o "$staged/dockerfile-lint" .
go_tool_cache_publish
