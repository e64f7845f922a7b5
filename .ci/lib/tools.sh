# shellcheck shell=bash
# Shared by the .ci/setup scripts that build tools from Go modules (sourced, not run).
# Each tool is built once per pinned version and wrapper content into
# $KLINE_TOOLS_DIR/src/<name>-<version>-<key>/ and linked from $KLINE_TOOLS_DIR/bin/<name>
# (or another bin folder); a rerun with the same pins finds it and does nothing (warm).
# The standard Go caches (GOMODCACHE, GOCACHE) are used as they are, so honour them if set.
# The set-up script that sources this file names every line it prints ([20-minio] ...), and ends
# with one summary line when it succeeds.

GO="${GO:-/usr/local/go/bin/go}"
if [[ ! -x "$GO" ]]; then
    echo "error: Go toolchain not found at $GO; install Go 1.26 at /usr/local/go or set GO=/path/to/go" >&2
    exit 1
fi
# shellcheck disable=SC2034 # read by the scripts that source this file
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools_dir="${KLINE_TOOLS_DIR:-$HOME/.cache/kline-ops/tools}"
mkdir -p "$tools_dir/bin" "$tools_dir/src"

# Use the Go we were given: the modules' `toolchain` lines must not trigger a toolchain download.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED=0

setup_script="$(basename "${BASH_SOURCE[1]}" .sh)"
start_all=$SECONDS
built_any=0

# key_of <files...>: short content hash so an edited wrapper module (or script input) rebuilds.
key_of() {
    cat "$@" | sha256sum | cut -c1-12
}

# with_progress <label> <command...>: runs the command and prints a line every minute while it
# runs, so a cold build of several minutes shows it is alive.
with_progress() {
    local label="$1"
    shift
    local t0=$SECONDS
    "$@" &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        for _ in $(seq 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "  ... $label: still building ($((SECONDS - t0))s)"
        fi
    done
    wait "$pid"
}

# install_tool [--bin <bin dir>] <tool name> <version> <key> <builder function> [builder arguments...]
# The builder gets (destination folder, version, builder arguments...) and must leave an executable
# <tool name> there. The tool is linked from <bin dir> (default $tools_dir/bin).
install_tool() {
    local bin="$tools_dir/bin"
    if [[ $1 == --bin ]]; then
        bin="$2"
        shift 2
    fi
    local name="$1" version="$2" key="$3" builder="$4"
    shift 4
    local dest="$tools_dir/src/$name-$version-$key"
    mkdir -p "$bin"
    if [[ -x "$dest/$name" ]]; then
        ln -sfn "$dest/$name" "$bin/$name"
        echo "[$setup_script] $name $version: cached (warm) at $dest/$name"
        return
    fi
    local t0=$SECONDS tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    echo "[$setup_script] $name $version: building (cold) ..."
    with_progress "$name" "$builder" "$tmp" "$version" "$@"
    [[ -x "$tmp/$name" ]] || {
        echo "error: building $name produced no binary in $tmp" >&2
        exit 1
    }
    rm -rf "$dest"
    mv "$tmp" "$dest"
    ln -sfn "$dest/$name" "$bin/$name"
    built_any=1
    echo "[$setup_script] $name $version: built in $((SECONDS - t0))s (cold) -> $dest/$name"
}

# go_install <destination> <version> <package> [go install flags...]: the builder of a tool that
# `go install` builds straight from its module (<package>@<version>), for install_tool.
go_install() {
    local out="$1" version="$2" package="$3"
    shift 3
    GOBIN="$out" "$GO" install "$@" "$package@$version"
}

# On a successful exit: one summary line (cold or warm, and how long). A failure has said why already.
finish() {
    (($? == 0)) || return
    if [[ $built_any == 1 ]]; then
        echo "[$setup_script] cold build(s) finished in $((SECONDS - start_all))s"
    else
        echo "[$setup_script] all tools cached (warm): $((SECONDS - start_all))s"
    fi
}
trap finish EXIT
