#!/usr/bin/env bash
# Builds the Kubernetes field verifiers used by `npm run verify` and tests/verify from their
# Go modules, once per pinned version:
#   kube-score      github.com/zegl/kube-score           (go install)
#   trivy           github.com/aquasecurity/trivy         (go install; stands in for kube-linter,
#                   whose module golang.stackrox.io/kube-linter the module proxy does not serve)
#   etcd            go.etcd.io/etcd/server/v3             (wrapper module tools/etcd-build)
#   kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver  (wrapper module tools/kube-apiserver-build)
# Binaries land in $KLINE_TOOLS_DIR/src/<name>-<version>-<key>/ and are linked from
# $KLINE_TOOLS_DIR/bin/<name>; a rerun with the same versions does nothing (warm).
# The standard Go caches (GOMODCACHE, GOCACHE) are used as they are, so honour them if set.
set -euo pipefail

KUBE_SCORE_VERSION="v1.20.0"
TRIVY_VERSION="v0.74.0"
ETCD_VERSION="v3.6.16"
KUBERNETES_VERSION="v1.36.3"
# Release date of k8s.io/kubernetes v1.36.3 on the module proxy; recorded as the build date.
KUBERNETES_BUILD_DATE="2026-07-22T18:07:38Z"

GO="${GO:-/usr/local/go/bin/go}"
if [[ ! -x "$GO" ]]; then
    echo "error: Go toolchain not found at $GO; install Go 1.26 at /usr/local/go or set GO=/path/to/go" >&2
    exit 1
fi
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools_dir="${KLINE_TOOLS_DIR:-$HOME/.cache/kline-ops/tools}"
mkdir -p "$tools_dir/bin" "$tools_dir/src"

# Use the Go we were given: the modules' `toolchain` lines must not trigger a toolchain download.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED=0

start_all=$SECONDS
built_any=0

# key_of <files...>: short content hash so an edited wrapper module rebuilds.
key_of() {
    cat "$@" | sha256sum | cut -c1-12
}

# install_tool <name> <version> <key> <builder function>
install_tool() {
    local name="$1" version="$2" key="$3" builder="$4"
    local dest="$tools_dir/src/$name-$version-$key"
    if [[ -x "$dest/$name" ]]; then
        ln -sfn "$dest/$name" "$tools_dir/bin/$name"
        echo "[30-kube-tools] $name $version: cached (warm) at $dest/$name"
        return
    fi
    local t0=$SECONDS tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    echo "[30-kube-tools] $name $version: building (cold) ..."
    "$builder" "$tmp" "$version"
    [[ -x "$tmp/$name" ]] || { echo "error: building $name produced no binary in $tmp" >&2; exit 1; }
    rm -rf "$dest"
    mv "$tmp" "$dest"
    ln -sfn "$dest/$name" "$tools_dir/bin/$name"
    built_any=1
    echo "[30-kube-tools] $name $version: built in $((SECONDS - t0))s (cold) -> $dest/$name"
}

build_kube_score() {
    GOBIN="$1" "$GO" install -trimpath -ldflags "-s -w -X main.version=${2#v}" "github.com/zegl/kube-score/cmd/kube-score@$2"
}

build_trivy() {
    # trivy uses encoding/json/v2, which Go 1.26 only builds with this experiment (as trivy's release build does).
    GOEXPERIMENT=jsonv2 GOBIN="$1" "$GO" install -trimpath \
        -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${2#v}" \
        "github.com/aquasecurity/trivy/cmd/trivy@$2"
}

build_etcd() {
    (cd "$repo_root/tools/etcd-build" && "$GO" build -trimpath -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3)
}

build_kube_apiserver() {
    local v="$2" minor
    minor="$(echo "$v" | cut -d. -f2)"
    local ld="-s -w"
    # Same variables hack/lib/version.sh sets; without them /version reports v0.0.0.
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$KUBERNETES_BUILD_DATE"
    done
    (cd "$repo_root/tools/kube-apiserver-build" && "$GO" build -trimpath -ldflags "$ld" -o "$1/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
}

install_tool kube-score "$KUBE_SCORE_VERSION" "go" build_kube_score
install_tool etcd "$ETCD_VERSION" "$(key_of "$repo_root/tools/etcd-build/go.mod")" build_etcd
install_tool kube-apiserver "$KUBERNETES_VERSION" "$(key_of "$repo_root/tools/kube-apiserver-build/go.mod")" build_kube_apiserver
install_tool trivy "$TRIVY_VERSION" "go" build_trivy

# Show what is in place (proves each binary runs on this machine).
"$tools_dir/bin/kube-score" version | sed -n 1p
"$tools_dir/bin/etcd" --version | sed -n 1p
"$tools_dir/bin/kube-apiserver" --version
"$tools_dir/bin/trivy" --version | sed -n 1p

if [[ $built_any == 1 ]]; then
    echo "[30-kube-tools] cold build(s) finished in $((SECONDS - start_all))s"
else
    echo "[30-kube-tools] all tools cached (warm): $((SECONDS - start_all))s"
fi
