#!/usr/bin/env bash
# Builds the Kubernetes tools used by `npm run verify`, tests/verify and the e2e cluster from
# their Go modules, once per pinned version (trivy: 32-trivy.sh):
#   kube-score      github.com/zegl/kube-score           (go install)
#   etcd            go.etcd.io/etcd/server/v3             (wrapper module .ci/setup/etcd-build)
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver  (wrapper module .ci/setup/kube-apiserver-build)
#   kube-controller-manager, kube-scheduler, kubectl (same wrapper and version; the e2e cluster's
#                   controllers, and the kubectl scripts/deploy.sh status runs there)
# Binaries land in $KLINE_TOOLS_DIR/src/<name>-<version>-<key>/ and are linked from
# $KLINE_TOOLS_DIR/bin/<name>; a rerun with the same versions does nothing (warm) (.ci/lib/tools.sh).
set -euo pipefail

# renovate: datasource=go depName=github.com/zegl/kube-score
KUBE_SCORE_VERSION="v1.20.0"
# renovate: datasource=go depName=go.etcd.io/etcd/server/v3
ETCD_VERSION="v3.6.16"
# renovate: datasource=go depName=k8s.io/kubernetes
KUBERNETES_VERSION="v1.36.3"
# Release date of k8s.io/kubernetes v1.36.3 on the module proxy; recorded as the build date.
KUBERNETES_BUILD_DATE="2026-07-22T18:07:38Z"

# shellcheck source=../lib/tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tools.sh"

build_kube_score() {
    GOBIN="$1" "$GO" install -trimpath -ldflags "-s -w -X main.version=${2#v}" "github.com/zegl/kube-score/cmd/kube-score@$2"
}

build_etcd() {
    (cd "$repo_root/.ci/setup/etcd-build" && "$GO" build -trimpath -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3)
}

# build_kubernetes_command <command> <destination> <version>
build_kubernetes_command() {
    local cmd="$1" out="$2" v="$3" minor
    minor="$(echo "$v" | cut -d. -f2)"
    local ld="-s -w"
    # Same variables hack/lib/version.sh sets; without them /version reports v0.0.0.
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$KUBERNETES_BUILD_DATE"
    done
    (cd "$repo_root/.ci/setup/kube-apiserver-build" && "$GO" build -trimpath -ldflags "$ld" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd")
}
build_kube_apiserver() { build_kubernetes_command kube-apiserver "$@"; }
build_kube_controller_manager() { build_kubernetes_command kube-controller-manager "$@"; }
build_kube_scheduler() { build_kubernetes_command kube-scheduler "$@"; }
build_kubectl() { build_kubernetes_command kubectl "$@"; }

me=30-kube-tools
kube_key="$(key_of "$repo_root/.ci/setup/kube-apiserver-build/go.mod")"
install_tool $me kube-score "$KUBE_SCORE_VERSION" "go" build_kube_score
install_tool $me etcd "$ETCD_VERSION" "$(key_of "$repo_root/.ci/setup/etcd-build/go.mod")" build_etcd
install_tool $me kube-apiserver "$KUBERNETES_VERSION" "$kube_key" build_kube_apiserver
install_tool $me kube-controller-manager "$KUBERNETES_VERSION" "$kube_key" build_kube_controller_manager
install_tool $me kube-scheduler "$KUBERNETES_VERSION" "$kube_key" build_kube_scheduler
install_tool $me kubectl "$KUBERNETES_VERSION" "$kube_key" build_kubectl

# Show what is in place (proves each binary runs on this machine).
"$tools_dir/bin/kube-score" version | sed -n 1p
"$tools_dir/bin/etcd" --version | sed -n 1p
"$tools_dir/bin/kube-apiserver" --version
"$tools_dir/bin/kube-controller-manager" --version
"$tools_dir/bin/kube-scheduler" --version
"$tools_dir/bin/kubectl" version --client | sed -n 1p

finish $me
