#!/usr/bin/env bash
# Builds dockerfile-lint (scripts/image/dockerfile-lint/: BuildKit's Dockerfile checks, the rules of
# `docker build --check`, from github.com/moby/buildkit at the version its go.mod requires) from the Go
# module proxy into a cache directory outside the repository, and prints the binary's path. Keyed by the
# tool's go.mod, go.sum and source, so a change to any of them builds again and an unchanged tool is a
# no-op. DOCKERFILE_LINT_CACHE_DIR changes where. Same pattern as scripts/spec-breaking/build-oasdiff.sh.
set -euo pipefail

tool_dir="$(cd "$(dirname "$0")/dockerfile-lint" && pwd)"
cache_root="${DOCKERFILE_LINT_CACHE_DIR:-$HOME/.cache/cfapi-dockerfile-lint}"
buildkit_version="$(awk '$1 == "github.com/moby/buildkit" { print $2 }' "$tool_dir/go.mod")"
[[ -n "$buildkit_version" ]] || { echo "build-dockerfile-lint: no github.com/moby/buildkit requirement in $tool_dir/go.mod" >&2; exit 1; }
source_key="$(cat "$tool_dir/go.mod" "$tool_dir/go.sum" "$tool_dir"/*.go | sha256sum | cut -c1-12)"
bin_dir="$cache_root/buildkit-$buildkit_version-$source_key"
binary="$bin_dir/dockerfile-lint"

if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi
# DOCKERFILE_LINT_BUILD=never: say how to build it rather than building it here.
if [[ "${DOCKERFILE_LINT_BUILD:-}" == "never" ]]; then
  echo "build-dockerfile-lint: dockerfile-lint (buildkit $buildkit_version) is not built ($binary): run bash scripts/image/build-dockerfile-lint.sh (or npm run image:lint) first" >&2
  exit 1
fi

# One build at a time: two runs started together wait for the first instead of compiling side by side.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  echo "build-dockerfile-lint: another build is running; waiting for it" >&2
  flock 9
fi
if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build-dockerfile-lint: Go is required (expected at /usr/local/go)" >&2; exit 1; }
export CGO_ENABLED=0 GOTOOLCHAIN=local

echo "build-dockerfile-lint: building dockerfile-lint on github.com/moby/buildkit@$buildkit_version (cold: about 3 minutes on 2 cores)" >&2
# Publish by a directory rename, so nobody ever sees a half-written binary.
staged="$(mktemp -d "$cache_root/.staging-XXXXXX")"
trap 'rm -rf "$staged"' EXIT
go build -C "$tool_dir" -trimpath -ldflags="-s -w" -o "$staged/dockerfile-lint" .
rm -rf "$bin_dir"
mv "$staged" "$bin_dir"
trap - EXIT
echo "$binary"
