#!/usr/bin/env bash
# Regenerates generated/ from openapi/: the bundled document and the TypeScript types.
# Usage: scripts/generate.sh [output-dir]   (default: generated)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-generated}"
mkdir -p "$out"
npx --no-install redocly bundle openapi/openapi.yaml --output "$out/openapi.json" >/dev/null
npx --no-install openapi-typescript "$out/openapi.json" --output "$out/openapi-types.ts" >/dev/null
