#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy into a cache
# directory outside the repository, keyed by version. Prints that directory. A no-op when the
# binaries are already there, so warm runs cost nothing.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod points every staging module (k8s.io/api,
# k8s.io/apiserver, ...) at ./staging, which a module zip does not contain. A throwaway wrapper
# module requires it and replaces each staging module with its published v0.<minor>.<patch> twin.
set -euo pipefail

kubernetes_version="${CP_KUBERNETES_VERSION:-v1.37.2}"
etcd_version="${CP_ETCD_VERSION:-v3.6.16}"
cache_root="${CP_CACHE_DIR:-$HOME/.cache/cfapi-control-plane}"
bin_dir="$cache_root/kubernetes-$kubernetes_version-etcd-$etcd_version"
binaries=(kube-apiserver kube-controller-manager etcd)

all_built() {
  local name
  for name in "${binaries[@]}"; do [[ -x "$bin_dir/$name" ]] || return 1; done
}
if all_built; then echo "$bin_dir"; exit 0; fi

# One build at a time: test runs started together (or a test run beside `npm run control-plane`) wait
# for the first build instead of compiling the same binaries side by side on two cores.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  echo "build-binaries: another build is running; waiting for it" >&2
  flock 9
fi
if all_built; then echo "$bin_dir"; exit 0; fi

command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "build-binaries: Go is required (expected at /usr/local/go)" >&2; exit 1; }
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
log() { echo "build-binaries: $*" >&2; }

build_kubernetes() {
  local wrapper="$scratch/kubernetes" upstream_mod minor staging_version
  mkdir -p "$wrapper" && cd "$wrapper"
  upstream_mod="$(go mod download -json "k8s.io/kubernetes@$kubernetes_version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$upstream_mod" ]] || { log "could not download k8s.io/kubernetes@$kubernetes_version"; return 1; }
  minor="${kubernetes_version#v1.}"; minor="${minor%%.*}"
  staging_version="v0.${kubernetes_version#v1.}"
  {
    echo "module local/cfapi-kubernetes"
    grep -E '^(go|godebug) ' "$upstream_mod" # same language version and runtime defaults as upstream
    echo "require k8s.io/kubernetes $kubernetes_version"
    echo "tool ("
    echo "  k8s.io/kubernetes/cmd/kube-apiserver"
    echo "  k8s.io/kubernetes/cmd/kube-controller-manager"
    echo ")"
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#  \1 => \1 '"$staging_version"'#p' "$upstream_mod"
    echo ")"
  } > go.mod
  log "resolving k8s.io/kubernetes@$kubernetes_version"
  go mod tidy
  local stamp="" key
  for key in "gitVersion=$kubernetes_version" gitMajor=1 "gitMinor=$minor" gitTreeState=clean "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do
    stamp+=" -X k8s.io/component-base/version.$key -X k8s.io/client-go/pkg/version.$key"
  done
  log "compiling kube-apiserver and kube-controller-manager (cold: tens of minutes on 2 cores)"
  go build -trimpath -buildvcs=false -tags=selinux,notest,grpcnotrace -ldflags="-s -w$stamp" -o "$scratch/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
}

# etcd's own go.mod has replace lines too, so it also needs a wrapper; a separate one, so that
# etcd's version cannot move the apiserver's etcd client.
build_etcd() {
  local wrapper="$scratch/etcd"
  mkdir -p "$wrapper" && cd "$wrapper"
  printf 'module local/cfapi-etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n\ntool go.etcd.io/etcd/server/v3\n' "$etcd_version" > go.mod
  log "resolving and compiling etcd $etcd_version"
  go mod tidy
  go build -trimpath -buildvcs=false -ldflags="-s -w" -o "$scratch/bin/etcd" go.etcd.io/etcd/server/v3
}

mkdir -p "$scratch/bin"
build_etcd
build_kubernetes
"$scratch/bin/kube-apiserver" --version >&2
"$scratch/bin/etcd" --version | head -1 >&2
# Publish all three at once: a directory rename, so nobody ever sees a half-copied set.
mkdir -p "$cache_root"
staged="$(mktemp -d "$cache_root/.staging-XXXXXX")"
cp "$scratch/bin/"* "$staged/"
rm -rf "$bin_dir"
mv "$staged" "$bin_dir"
echo "$bin_dir"
