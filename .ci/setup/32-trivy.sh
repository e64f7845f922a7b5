#!/usr/bin/env bash
# Builds trivy from its Go module, pinned (.ci/lib/tools.sh: cached under ~/.cache/kline-ops/tools,
# a warm rerun does nothing). Its Kubernetes checks stand in for kube-linter in `npm run verify`
# (tools/verify/trivy.ts): the module golang.stackrox.io/kube-linter is not served by the proxy.
set -euo pipefail

# renovate: datasource=go depName=github.com/aquasecurity/trivy
TRIVY_VERSION="v0.74.0"

# shellcheck source=../lib/tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tools.sh"

# trivy uses encoding/json/v2, which Go 1.26 only builds with this experiment (as trivy's release build does).
export GOEXPERIMENT=jsonv2
install_tool trivy "$TRIVY_VERSION" go go_install github.com/aquasecurity/trivy/cmd/trivy \
    -trimpath -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}"
"$tools_dir/bin/trivy" --version | sed -n 1p
