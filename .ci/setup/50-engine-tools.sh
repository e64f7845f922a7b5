#!/usr/bin/env bash
# Builds what `npm run e2e` needs to run the program with the real Pulumi engine against a
# loopback cluster, from Go modules, once per pinned version (.ci/lib/tools.sh):
#   pulumi                       github.com/pulumi/pulumi/pkg/v3 cmd/pulumi (wrapper .ci/setup/pulumi-build),
#                                the same version as the npm @pulumi/pulumi pin
#   pulumi-resource-kubernetes   github.com/pulumi/pulumi-kubernetes/provider/v4 (wrapper
#                                .ci/setup/kubernetes-provider-build), the same version as the npm
#                                @pulumi/kubernetes pin (README "End-to-end tests" says why 4.25.0)
#   kwok                         sigs.k8s.io/kwok/cmd/kwok: fake nodes that run pods to Ready/Completed
#                                without a kubelet
#   stand-ins (tests/e2e/stand-ins, their own bin folder): pulumi-language-nodejs and the aws and
#                                random providers, whose real modules cannot be built here
# kube-controller-manager and kube-scheduler come from 30-kube-tools.sh (same wrapper as kube-apiserver).
set -euo pipefail

# renovate: datasource=go depName=github.com/pulumi/pulumi/pkg/v3
PULUMI_VERSION="v3.248.0"
# renovate: datasource=npm depName=@pulumi/kubernetes
KUBERNETES_PROVIDER_VERSION="4.25.0"
# The only version of the provider module the proxy serves: the pseudo-version of tag v4.25.0.
# renovate: datasource=go depName=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBERNETES_PROVIDER_MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199"
# renovate: datasource=go depName=sigs.k8s.io/kwok
KWOK_VERSION="v0.8.0"

# shellcheck source=../lib/tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tools.sh"
stand_ins_bin="$tools_dir/stand-ins/bin"

# npm_pin <package>: the exact version package.json pins (the program's SDKs).
npm_pin() {
    sed -n "s/^ *\"$(printf '%s' "$1" | sed 's|/|\\/|g')\": *\"\([^\"]*\)\".*/\1/p" "$repo_root/package.json" | head -n 1
}
check_pin() {
    local pkg="$1" want="$2" have
    have="$(npm_pin "$pkg")"
    if [[ "$have" != "$want" ]]; then
        echo "error: package.json pins $pkg at '${have:-nothing}', but $setup_script builds the engine at $want." >&2
        echo "       The program's SDK and the plugin the engine runs must be the same version: pin $pkg to $want" >&2
        echo "       (npm install --save-exact --ignore-scripts $pkg@$want) or change the version in .ci/setup/$setup_script.sh." >&2
        exit 1
    fi
}
check_pin "@pulumi/pulumi" "${PULUMI_VERSION#v}"
check_pin "@pulumi/kubernetes" "$KUBERNETES_PROVIDER_VERSION"
AWS_SDK_VERSION="$(npm_pin "@pulumi/aws")"
RANDOM_SDK_VERSION="$(npm_pin "@pulumi/random")"

build_pulumi() {
    (cd "$repo_root/.ci/setup/pulumi-build" && "$GO" build -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$2" \
        -o "$1/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_kubernetes_provider() {
    local out="$1" version="$2" work="$1/build" moddir
    # The command folder embeds a schema file that is generated, not published: copy the folder
    # out of the module into a copy of the wrapper, generate the file as the provider's own
    # go:generate step does, then build.
    moddir="$(cd / && "$GO" mod download -json "$KUBERNETES_PROVIDER_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    if [[ -z "$moddir" || ! -d "$moddir/cmd/pulumi-resource-kubernetes" ]]; then
        echo "error: go mod download $KUBERNETES_PROVIDER_MODULE gave no module folder; check access to the Go module proxy" >&2
        exit 1
    fi
    mkdir -p "$work/cmd"
    cp "$repo_root/.ci/setup/kubernetes-provider-build/"{go.mod,go.sum,tools.go} "$work/"
    cp -r "$moddir/cmd/pulumi-resource-kubernetes" "$work/cmd/"
    chmod -R u+w "$work"
    (cd "$work/cmd/pulumi-resource-kubernetes" && VERSION="$version" "$GO" run generate.go)
    (cd "$work" && "$GO" build -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$version" \
        -o "$out/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
    rm -rf "$work"
}

# kwok needs Stages (how nodes and pods move on). Its default "fast" stages are published in the
# module: node-initialize, the lease heartbeat, pod-ready, pod-complete (Job pods) and pod-delete.
KWOK_STAGES=(node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete)
build_kwok() {
    go_install "$1" "$2" sigs.k8s.io/kwok/cmd/kwok -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${2#v}"
    local moddir
    moddir="$(cd / && "$GO" mod download -json "sigs.k8s.io/kwok@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -n "$moddir" ]] || {
        echo "error: go mod download sigs.k8s.io/kwok@$2 gave no module folder" >&2
        exit 1
    }
    for stage in "${KWOK_STAGES[@]}"; do
        printf -- '---\n'
        cat "$moddir/kustomize/stage/$stage.yaml"
    done >"$1/stages.yaml"
}

# build_stand_in <destination> <version> <plugin>
build_stand_in() {
    (cd "$repo_root/tests/e2e/stand-ins" && "$GO" build -trimpath -ldflags "-s -w -X main.version=$2" -o "$1/$3" "./$3")
}

install_tool pulumi "$PULUMI_VERSION" "$(key_of "$repo_root/.ci/setup/pulumi-build/go.mod")" build_pulumi
install_tool pulumi-resource-kubernetes "$KUBERNETES_PROVIDER_VERSION" \
    "$(key_of "$repo_root/.ci/setup/kubernetes-provider-build/go.mod" "$repo_root/.ci/setup/kubernetes-provider-build/go.sum")" \
    build_kubernetes_provider
install_tool kwok "$KWOK_VERSION" "go-$(printf '%s\n' "${KWOK_STAGES[@]}" | sha256sum | cut -c1-8)" build_kwok

# shellcheck disable=SC2046 # the file list is meant to split (paths have no spaces)
stand_ins_key="$(cd "$repo_root/tests/e2e/stand-ins" && key_of go.mod go.sum $(find . -name '*.go' | sort))"
stand_in() { install_tool --bin "$stand_ins_bin" "$1" "$2" "stand-in-$stand_ins_key" build_stand_in "$1"; }
stand_in pulumi-language-nodejs "${PULUMI_VERSION#v}"
stand_in pulumi-resource-aws "$AWS_SDK_VERSION"
stand_in pulumi-resource-random "$RANDOM_SDK_VERSION"

# Show what is in place (proves each binary runs on this machine).
"$tools_dir/bin/pulumi" version
# The provider has no --version flag; the e2e checks the version the engine loads (GetPluginInfo).
echo "pulumi-resource-kubernetes $KUBERNETES_PROVIDER_VERSION: $(readlink -f "$tools_dir/bin/pulumi-resource-kubernetes")"
"$tools_dir/bin/kwok" --version 2>&1 | sed -n 1p
for p in pulumi-language-nodejs pulumi-resource-aws pulumi-resource-random; do
    echo "$p (stand-in) $("$stand_ins_bin/$p" --version)"
done
echo "[$setup_script] stand-ins are in $stand_ins_bin (on PATH only for the e2e: npm test puts them there)"
