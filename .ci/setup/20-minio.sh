#!/usr/bin/env bash
# Builds the MinIO server (a real S3-compatible store) from its Go module for the backup
# integration tests. Idempotent: the binary is cached under ~/.cache/kline-ops/tools keyed by
# the pinned module version, so a warm run costs nothing.
#
# MinIO has no semver tags (its releases are RELEASE.<date> tags), so the pin is the module
# proxy's pseudo-version of one commit. The server is only run by the tests on loopback; it is
# not linked into or shipped with anything we build.
set -euo pipefail

MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
GO="${GO:-/usr/local/go/bin/go}"

TOOLS_DIR="${KLINE_TOOLS_DIR:-${HOME}/.cache/kline-ops/tools}"
BIN_DIR="${TOOLS_DIR}/bin"
STAMP="${TOOLS_DIR}/minio.version"

if [[ -x "${BIN_DIR}/minio" && -f "${STAMP}" && "$(cat "${STAMP}")" == "${MINIO_VERSION}" ]]; then
    echo "minio ${MINIO_VERSION} already built at ${BIN_DIR}/minio"
    exit 0
fi

if [[ ! -x "${GO}" ]]; then
    echo "error: Go toolchain not found at ${GO}; install Go or set GO=/path/to/go" >&2
    exit 1
fi

mkdir -p "${BIN_DIR}"
started=$(date +%s)
echo "building ${MINIO_MODULE}@${MINIO_VERSION} (cold build takes a few minutes on 2 cores)"
# GOFLAGS=-mod=mod lets `go install pkg@version` resolve the module's own go.mod as published.
# CGO is not needed by MinIO; disabling it keeps the build independent of a C toolchain.
GOBIN="${BIN_DIR}" GOFLAGS=-mod=mod CGO_ENABLED=0 "${GO}" install "${MINIO_MODULE}@${MINIO_VERSION}"
echo "${MINIO_VERSION}" >"${STAMP}"
echo "minio built in $(($(date +%s) - started)) s: ${BIN_DIR}/minio"
