#!/usr/bin/env bash
# Fails when generated/ differs from what openapi/ and deploy/ generate: someone edited them without
# running `npm run generate`, or edited generated/ by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
scripts/generate.sh "$fresh"
status=0
for file in openapi.json openapi-types.ts crd-schemas.json cf-roles.json; do
  if ! diff -u "generated/$file" "$fresh/$file" >"$fresh/$file.diff" 2>&1; then
    echo "generated/$file is out of date with openapi/ or deploy/; run: npm run generate" >&2
    head -40 "$fresh/$file.diff" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "generated/ matches openapi/ and deploy/"
exit "$status"
