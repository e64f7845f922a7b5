#!/usr/bin/env bash
# Field verifiers over every stack's rendered manifest: schema validation, kube-score, trivy
# (kube-linter stand-in), and server-side dry-run on a real kube-apiserver with Pod Security
# admission (tools/verify). Needs the tools from .ci/setup/30-kube-tools.sh and
# the schemas from .ci/setup/31-kube-schemas.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
start=$SECONDS
npm run --silent verify
echo "[30-verify] npm run verify passed in $((SECONDS - start))s"
