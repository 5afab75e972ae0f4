#!/usr/bin/env bash
# npm run image:lint: BuildKit's Dockerfile checks (the rules of `docker build --check`) on ./Dockerfile
# and its build context's .dockerignore, with dockerfile-lint built first when it is not (see
# build-dockerfile-lint.sh). Prints each finding with its rule name; exits non-zero on any finding.
# Other Dockerfiles: npm run image:lint -- path/to/Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/../.."

binary="$(bash scripts/image/build-dockerfile-lint.sh)"
dockerfile="${1:-Dockerfile}"
exec "$binary" lint --context "$(dirname "$dockerfile")" "$dockerfile"
