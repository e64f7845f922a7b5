#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from its Go module, pinned, into the
# shared tools cache. tests/delivery/workflows.integration.test.ts runs it over .github/workflows/.
# Idempotent: a cached binary of the pinned version is reused.
set -euo pipefail

ACTIONLINT_VERSION="v1.7.12"
TOOLS_DIR="${KLINE_TOOLS_DIR:-${HOME}/.cache/kline-ops/tools}"
BIN_DIR="${TOOLS_DIR}/bin"
STAMP="${TOOLS_DIR}/actionlint-${ACTIONLINT_VERSION}.built"
GO="${GO:-/usr/local/go/bin/go}"

if [[ -x "${BIN_DIR}/actionlint" && -f "${STAMP}" ]]; then
    echo "actionlint ${ACTIONLINT_VERSION}: cached in ${BIN_DIR}"
    exit 0
fi

if [[ ! -x "${GO}" ]]; then
    echo "error: Go toolchain not found at ${GO}; install Go or set GO=/path/to/go" >&2
    exit 1
fi

mkdir -p "${BIN_DIR}"
start=$(date +%s)
GOBIN="${BIN_DIR}" GOFLAGS=-mod=mod "${GO}" install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
rm -f "${TOOLS_DIR}"/actionlint-*.built
touch "${STAMP}"
echo "actionlint ${ACTIONLINT_VERSION}: built in $(($(date +%s) - start))s into ${BIN_DIR}"
