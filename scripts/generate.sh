#!/usr/bin/env bash
# Regenerates generated/ from openapi/ (the bundled document and the TypeScript types) and from
# deploy/helm/cf-k8s-api/files/crds/ and deploy/helm/cf-k8s-api/files/cf-roles/ (the custom kinds' schemas and the CF roles' ClusterRoles as JSON,
# which the embedded server reads at start instead of parsing YAML).
# Usage: scripts/generate.sh [output-dir]   (default: generated)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-generated}"
mkdir -p "$out"
npx --no-install redocly bundle openapi/openapi.yaml --output "$out/openapi.json" >/dev/null
npx --no-install openapi-typescript "$out/openapi.json" --output "$out/openapi-types.ts" >/dev/null
# The SDK (sdk/) ships the same types as its own file; a check run (another output dir) leaves it alone.
if [ "$out" = generated ]; then cp generated/openapi-types.ts sdk/src/generated/schema.ts; fi
npx --no-install node scripts/generate-manifest-json.ts "$out"
