# check=error=true
# The cf-k8s-api server as a container image, for the kubernetes backend (README "Image").
#
#   docker build -t cf-k8s-api:0.1.0 .
#
# The base image is Node's official Debian slim image at the exact Node release the project is tested
# on (package.json's `node` devDependency; test/image/ fails when the two differ). Tags move: the
# release pipeline should pin it by digest (node:<version>-trixie-slim@sha256:...) when it builds.
ARG NODE_VERSION=24.21.0

# Production dependencies only: the server runs its TypeScript with Node's type stripping, so there is
# no build step and no devDependency (TypeScript, the `node` package, test tools) in the image. No
# package needs an install script at run time (--ignore-scripts).
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# What the server reads at run time: its source, the generated JSON (the bundled OpenAPI document, the
# CRD schemas and the CF roles) and the chart's files (the permission list and the CF roles' names the
# kubernetes backend checks its credentials against at start; the CRDs, for crds:install). The YAML
# of openapi/ is not read by the server.
COPY src ./src
COPY generated ./generated
COPY deploy/helm/cf-k8s-api/files ./deploy/helm/cf-k8s-api/files

FROM node:${NODE_VERSION}-trixie-slim
LABEL org.opencontainers.image.title="cf-k8s-api" \
      org.opencontainers.image.description="A spec-first Cloud Foundry V3 API server (the Korifi subset)" \
      org.opencontainers.image.version="0.1.0"
# Owned by root and not writable by the server's user; the root filesystem may be mounted read-only.
COPY --from=build /app /app
# The data directory (the upload spool; on the embedded backend also the store) and TMPDIR (Node's
# compile cache) are the only places the server writes: mount a volume (an emptyDir) on each when the
# root filesystem is read-only. The directory exists here for a writable root, owned by the user.
RUN mkdir -m 0700 /var/lib/cf-k8s-api && chown 10001:10001 /var/lib/cf-k8s-api
# The config file is mounted at CFAPI_CONFIG (the chart's ConfigMap). The environment wins over the
# file, so the data directory is moved with CFAPI_DATA_DIR, not with dataDir in the file.
ENV NODE_ENV=production \
    CFAPI_CONFIG=/etc/cf-k8s-api/config.yaml \
    CFAPI_DATA_DIR=/var/lib/cf-k8s-api \
    TMPDIR=/tmp
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# `npm start`'s command (test/image/ keeps the two equal), run by Node as PID 1: no npm between the
# kubelet's SIGTERM and the server's graceful shutdown, and nothing written to an npm cache. CMD holds
# the arguments: `docker run <image> --backend embedded` (or a pod's args) replaces them.
ENTRYPOINT ["node", "--max-semi-space-size=2", "src/start.js"]
CMD ["--backend", "kubernetes"]
