# Sourced by the scripts that build a Go tool from the Go module proxy into a cache directory outside the
# repository (oasdiff, helm, dockerfile-lint). The caller sets `tool` (its name in messages),
# `cache_root`, `bin_dir` (the tool's directory, keyed by version) and `binary`, then:
#
#   go_tool_cache_begin "<never?>" "<how to build it>"   # exits 0 printing $binary when it is built
#   GOBIN="$staged" go install ...                      # or go build -o "$staged/<name>"
#   go_tool_cache_publish                               # prints $binary
#
# One build at a time (a lock in cache_root: two runs started together wait for the first), Go from PATH
# or /usr/local/go, and the binary published by renaming its directory, so nobody sees half of it.

go_tool_cache_begin() {
  local never="$1" how_to_build="$2"
  if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi
  # <never?> = "never" (the tests): say how to build it rather than building it here.
  if [[ "$never" == "never" ]]; then
    echo "$tool: $binary is not built: $how_to_build" >&2
    exit 1
  fi
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.build.lock"
  if ! flock -n 9; then
    echo "$tool: another build is running; waiting for it" >&2
    flock 9
  fi
  if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi
  command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null || { echo "$tool: Go is required (expected at /usr/local/go)" >&2; exit 1; }
  export CGO_ENABLED=0 GOTOOLCHAIN=local
  staged="$(mktemp -d "$cache_root/.staging-XXXXXX")"
  trap 'rm -rf "$staged"' EXIT
}

go_tool_cache_publish() {
  chmod 755 "$staged"
  rm -rf "$bin_dir"
  mv "$staged" "$bin_dir"
  trap - EXIT
  echo "$binary"
}
