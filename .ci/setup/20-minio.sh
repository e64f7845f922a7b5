#!/usr/bin/env bash
# Builds the MinIO server (a real S3-compatible store) from its Go module for the backup
# integration tests, once per pinned version (.ci/lib/tools.sh: cached under
# ~/.cache/kline-ops/tools, a warm rerun does nothing).
#
# MinIO has no semver tags (its releases are RELEASE.<date> tags), so the pin is the module
# proxy's pseudo-version of one commit. The server is only run by the tests on loopback; it is
# not linked into or shipped with anything we build.
set -euo pipefail

# renovate: datasource=go depName=github.com/minio/minio
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

# shellcheck source=../lib/tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tools.sh"

install_tool minio "$MINIO_VERSION" go go_install github.com/minio/minio
"$tools_dir/bin/minio" --version | sed -n 1p
