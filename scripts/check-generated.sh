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
if ! diff -u sdk/src/generated/schema.ts "$fresh/openapi-types.ts" >"$fresh/sdk-schema.diff" 2>&1; then
  echo "sdk/src/generated/schema.ts is out of date with openapi/; run: npm run generate" >&2
  head -40 "$fresh/sdk-schema.diff" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "generated/ and sdk/src/generated/ match openapi/ and deploy/"
exit "$status"
