#!/usr/bin/env bash
# Puts the published schemas the Kubernetes verifiers (tools/verify) check against into the
# tools cache, taken from pinned Go modules (checksums verified by the go command):
#   kubernetes-v1.36.3/           OpenAPI v3 of every built-in API group
#                                 (k8s.io/kubernetes@v1.36.3 api/openapi-spec/v3; same release as
#                                 the kube-apiserver built by 30-kube-tools.sh)
#   prometheus-operator-v0.93.0/  monitoring.coreos.com CRDs (prometheus-operator@v0.93.0
#                                 example/prometheus-operator-crd; kube-prometheus-stack 88.x ships
#                                 operator v0.93.0 and these same CRD files)
#   eck-v3.5.0/                   ECK CRDs (github.com/elastic/cloud-on-k8s/v3@v3.5.0
#                                 config/crds/v1/all-crds.yaml, the file the eck-operator 3.5.0 chart installs)
# Idempotent: a folder that is already complete is left alone.
set -euo pipefail

# renovate: datasource=go depName=k8s.io/kubernetes
KUBERNETES_VERSION="v1.36.3"
# renovate: datasource=go depName=github.com/prometheus-operator/prometheus-operator
PROMETHEUS_OPERATOR_VERSION="v0.93.0"
# renovate: datasource=go depName=github.com/elastic/cloud-on-k8s/v3
ECK_VERSION="v3.5.0"

GO="${GO:-/usr/local/go/bin/go}"
if [[ ! -x "$GO" ]]; then
    echo "error: Go toolchain not found at $GO; install Go 1.26 at /usr/local/go or set GO=/path/to/go" >&2
    exit 1
fi
export GOTOOLCHAIN=local
tools_dir="${KLINE_TOOLS_DIR:-$HOME/.cache/kline-ops/tools}"
schemas_dir="$tools_dir/schemas"
mkdir -p "$schemas_dir"
start=$SECONDS

# module_dir <module@version>: downloads (or finds) the module and prints its folder.
module_dir() {
    local dir
    dir="$(cd / && "$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    if [[ -z "$dir" || ! -d "$dir" ]]; then
        echo "error: go mod download $1 gave no module folder; check network access to the Go module proxy" >&2
        exit 1
    fi
    echo "$dir"
}

# place <target name> <module@version> <glob inside the module>
place() {
    local target="$schemas_dir/$1" module="$2" pattern="$3"
    if [[ -f "$target/.complete" ]]; then
        echo "[31-kube-schemas] $1: cached (warm)"
        return
    fi
    local src tmp="$target.tmp.$$"
    src="$(module_dir "$module")"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # shellcheck disable=SC2086 # the pattern is a glob meant to expand here
    cp $src/$pattern "$tmp/"
    chmod 0644 "$tmp"/*
    echo "$module $pattern" > "$tmp/.complete"
    rm -rf "$target"
    mv "$tmp" "$target"
    echo "[31-kube-schemas] $1: $(find "$target" -type f ! -name .complete | wc -l) files from $module"
}

place "kubernetes-$KUBERNETES_VERSION" "k8s.io/kubernetes@$KUBERNETES_VERSION" "api/openapi-spec/v3/*.json"
place "prometheus-operator-$PROMETHEUS_OPERATOR_VERSION" \
    "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
    "example/prometheus-operator-crd/*.yaml"
place "eck-$ECK_VERSION" "github.com/elastic/cloud-on-k8s/v3@$ECK_VERSION" "config/crds/v1/all-crds.yaml"
echo "[31-kube-schemas] done in $((SECONDS - start))s"
