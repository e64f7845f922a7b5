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

# shellcheck source=../lib/tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tools.sh"

build_etcd() {
    (cd "$repo_root/.ci/setup/etcd-build" && "$GO" build -trimpath -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3)
}

# build_kubernetes_command <destination> <version> <command>
build_kubernetes_command() {
    local out="$1" v="$2" cmd="$3" minor build_date
    minor="$(echo "$v" | cut -d. -f2)"
    # The version's release time on the module proxy, recorded as the build date.
    build_date="$(cd / && "$GO" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "k8s.io/kubernetes@$v")"
    local ld="-s -w"
    # Same variables hack/lib/version.sh sets; without them /version reports v0.0.0.
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
    done
    (cd "$repo_root/.ci/setup/kube-apiserver-build" && "$GO" build -trimpath -ldflags "$ld" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd")
}

install_tool kube-score "$KUBE_SCORE_VERSION" go go_install github.com/zegl/kube-score/cmd/kube-score \
    -trimpath -ldflags "-s -w -X main.version=${KUBE_SCORE_VERSION#v}"
install_tool etcd "$ETCD_VERSION" "$(key_of "$repo_root/.ci/setup/etcd-build/go.mod")" build_etcd
kube_key="$(key_of "$repo_root/.ci/setup/kube-apiserver-build/go.mod")"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    install_tool "$cmd" "$KUBERNETES_VERSION" "$kube_key" build_kubernetes_command "$cmd"
done

# Show what is in place (proves each binary runs on this machine).
"$tools_dir/bin/kube-score" version | sed -n 1p
"$tools_dir/bin/etcd" --version | sed -n 1p
"$tools_dir/bin/kube-apiserver" --version
"$tools_dir/bin/kube-controller-manager" --version
"$tools_dir/bin/kube-scheduler" --version
"$tools_dir/bin/kubectl" version --client | sed -n 1p
