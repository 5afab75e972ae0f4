#!/usr/bin/env bash
# npm run spec:breaking — fails on a breaking change of the API contract that nobody allowed.
#
# Compares the bundled spec of the working tree (generated/openapi.json; `npm run generate:check` keeps it
# in step with openapi/) with the same file at a base commit, using oasdiff (built from the Go module
# proxy into ~/.cache/cfapi-oasdiff by build-oasdiff.sh). The base, in this order:
#   1. SPEC_BREAKING_BASE (any git revision), when set;
#   2. the last release tag reachable from HEAD (`v*`): clients depend on releases, so every breaking
#      change since the last one needs an allowance until the next release empties the file;
#   3. without a release tag, on a branch: its merge base with main (`main`, else `origin/main`);
#   4. without a release tag, on main itself: HEAD~1 (CI on main checks each commit against its parent).
# Missing history (a shallow clone, no main, a root commit on main) fails and says so; it never passes.
#
# Every ERR-level change oasdiff finds must be listed in openapi/breaking-changes-allowed.yaml (oasdiff's
# check id, the operation, optionally a text it contains, with a reason and a reviewer); WARN-level
# changes (possible breaks oasdiff cannot confirm) are printed and do not fail. See allowances.ts.
#
# SPEC_BREAKING_REPO: the repository to check (default: this one); OASDIFF_BIN: an oasdiff binary to use
# instead of building one.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="${SPEC_BREAKING_REPO:-$(cd "$here/../.." && pwd)}"
spec="generated/openapi.json"
allowances="$repo/openapi/breaking-changes-allowed.yaml"
fail() { echo "spec:breaking: $*" >&2; exit 2; }

oasdiff="${OASDIFF_BIN:-$(bash "$here/build-oasdiff.sh")}"
[[ -x "$oasdiff" ]] || fail "no oasdiff at $oasdiff (build it with: bash scripts/spec-breaking/build-oasdiff.sh)"

cd "$repo"
git rev-parse --verify -q HEAD >/dev/null || fail "$repo has no git history (HEAD does not resolve)"
[[ "$(git rev-parse --is-shallow-repository)" == "false" ]] ||
  fail "$repo is a shallow clone: the base spec is not in it (git fetch --unshallow, or clone with full history)"

main_ref=""
for candidate in main origin/main; do
  if git rev-parse --verify -q "$candidate^{commit}" >/dev/null; then main_ref="$candidate"; break; fi
done

if [[ -n "${SPEC_BREAKING_BASE:-}" ]]; then
  base="$SPEC_BREAKING_BASE"; why="SPEC_BREAKING_BASE"
elif tag="$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null)"; then
  base="$tag"; why="the last release tag"
elif [[ -z "$main_ref" ]]; then
  fail "no release tag and no main branch (main or origin/main) to compare with; set SPEC_BREAKING_BASE"
elif [[ "$(git rev-parse HEAD)" != "$(git rev-parse "$main_ref")" ]]; then
  base="$(git merge-base HEAD "$main_ref")" || fail "HEAD and $main_ref have no common history"
  why="the merge base with $main_ref"
else
  git rev-parse --verify -q "HEAD~1^{commit}" >/dev/null || fail "HEAD is $main_ref's first commit: there is no earlier spec to compare with"
  base="HEAD~1"; why="HEAD~1 (HEAD is $main_ref, with no release tag)"
fi
base_commit="$(git rev-parse --verify -q "$base^{commit}")" || fail "the base $base is not a commit of this repository"
[[ -f "$spec" ]] || fail "$repo/$spec is missing (npm run generate)"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
git show "$base_commit:$spec" > "$scratch/base.json" 2>/dev/null || fail "$base ($base_commit) has no $spec"
echo "spec:breaking: $spec against $why: $base (${base_commit:0:12})"

"$oasdiff" breaking "$scratch/base.json" "$spec" --format json > "$scratch/changes.json" ||
  fail "oasdiff could not compare the specs"
node "$here/allowances.ts" "$scratch/changes.json" "$allowances"
