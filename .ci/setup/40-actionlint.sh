#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from its Go module, pinned, into the
# shared tools cache (.ci/lib/tools.sh). tests/ci/workflows.integration.test.ts runs it over
# .github/workflows/.
set -euo pipefail

# renovate: datasource=go depName=github.com/rhysd/actionlint
ACTIONLINT_VERSION="v1.7.12"

# shellcheck source=../lib/tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tools.sh"

install_tool actionlint "$ACTIONLINT_VERSION" go go_install github.com/rhysd/actionlint/cmd/actionlint
"$tools_dir/bin/actionlint" -version | sed -n 1p
