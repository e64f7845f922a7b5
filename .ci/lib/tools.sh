# shellcheck shell=bash
# Shared by the .ci/setup scripts that build tools from Go modules (sourced, not run).
# Each tool is built once per pinned version and wrapper content into
# $KLINE_TOOLS_DIR/src/<name>-<version>-<key>/ and linked from $KLINE_TOOLS_DIR/bin/<name>
# (or another bin folder); a rerun with the same pins finds it and does nothing (warm).
# The standard Go caches (GOMODCACHE, GOCACHE) are used as they are, so honour them if set.

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

# install_tool <setup script name> <tool name> <version> <key> <builder function> [bin dir]
# The builder gets (destination folder, version) and must leave an executable <tool name> there.
install_tool() {
    local script="$1" name="$2" version="$3" key="$4" builder="$5" bin="${6:-$tools_dir/bin}"
    local dest="$tools_dir/src/$name-$version-$key"
    mkdir -p "$bin"
    if [[ -x "$dest/$name" ]]; then
        ln -sfn "$dest/$name" "$bin/$name"
        echo "[$script] $name $version: cached (warm) at $dest/$name"
        return
    fi
    local t0=$SECONDS tmp="$dest.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    echo "[$script] $name $version: building (cold) ..."
    with_progress "$name" "$builder" "$tmp" "$version"
    [[ -x "$tmp/$name" ]] || {
        echo "error: building $name produced no binary in $tmp" >&2
        exit 1
    }
    rm -rf "$dest"
    mv "$tmp" "$dest"
    ln -sfn "$dest/$name" "$bin/$name"
    built_any=1
    echo "[$script] $name $version: built in $((SECONDS - t0))s (cold) -> $dest/$name"
}

# finish <setup script name>: one summary line (cold or warm, and how long).
finish() {
    if [[ $built_any == 1 ]]; then
        echo "[$1] cold build(s) finished in $((SECONDS - start_all))s"
    else
        echo "[$1] all tools cached (warm): $((SECONDS - start_all))s"
    fi
}
