#!/usr/bin/env bash
# Fails when generated/ differs from what openapi/ generates: someone edited openapi/ without
# running `npm run generate`, or edited generated/ by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
scripts/generate.sh "$fresh"
status=0
for file in openapi.json openapi-types.ts; do
  if ! diff -u "generated/$file" "$fresh/$file" >"$fresh/$file.diff" 2>&1; then
    echo "generated/$file is out of date with openapi/; run: npm run generate" >&2
    head -40 "$fresh/$file.diff" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "generated/ matches openapi/"
exit "$status"
