#!/usr/bin/env bash
# `npm test`: sets up whatever is missing, then runs every suite. On a fresh machine:
#   1. Debian packages listed in .ci/apt/*.txt: installed when run as root; otherwise the exact
#      apt-get command is printed and the run stops (exit 1).
#   2. every .ci/setup/*.sh: tools built from pinned Go modules, cached under ~/.cache/kline-ops
#      (a warm rerun builds nothing).
#   3. prettier, tsc, every mocha suite (unit and integration), npm run verify, npm run e2e.
# Needs node_modules (npm ci --ignore-scripts). For the quick edit-test loop: npm run test:unit.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
timings=()
step_name=""
step_start=0
step() {
    end_step
    step_name="$*"
    step_start=$SECONDS
    printf '\n== %s (at %ds)\n' "$step_name" "$((SECONDS - start))"
}
end_step() {
    [[ -n $step_name ]] && timings+=("$(printf '%5ds  %s' "$((SECONDS - step_start))" "$step_name")")
    step_name=""
}
summarized=""
summary() {
    summarized=1
    end_step
    printf '\n== npm test: %s after %ds\n' "$1" "$((SECONDS - start))"
    printf '%s\n' "${timings[@]}"
}
# Any failing step still prints where it stopped and how long each step took.
on_exit() {
    local rc=$?
    if ((rc != 0)) && [[ -z $summarized ]]; then summary "FAILED (exit $rc) in: ${step_name:-set-up}"; fi
}
trap on_exit EXIT

tools_dir="${KLINE_TOOLS_DIR:-$HOME/.cache/kline-ops/tools}"
export PATH="/usr/local/go/bin:$tools_dir/bin:$PATH"
# The setup scripts build with $GO: Go 1.26 at /usr/local/go, or whichever go is on PATH.
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
export GO
export DEBIAN_FRONTEND=noninteractive

if [[ ! -d node_modules/@pulumi/pulumi ]]; then
    echo "npm test: node_modules is missing or incomplete: run npm ci --ignore-scripts first" >&2
    exit 1
fi

step "Debian packages (.ci/apt/*.txt)"
mapfile -t wanted < <(cat .ci/apt/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
    echo "all ${#wanted[@]} packages present (warm)"
elif [[ $(id -u) == 0 ]]; then
    echo "installing (cold): ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "npm test: these Debian packages are missing and installing them needs root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

# Tool builds in two lanes at once: one lane's module downloads and single-threaded links overlap
# the other's compiles (2 cores). Every .ci/setup/*.sh belongs to exactly one lane; each lane logs
# to its own file, a line a minute shows where each one is, and a lane that fails is shown whole.
# Balanced on cold builds of the 2-core machine (seconds): 207 + 1013 + 2 + 5 against 714 + 1022;
# trivy and the Pulumi CLI share many modules, so they build one after the other.
lane_kube=(.ci/setup/20-minio.sh .ci/setup/30-kube-tools.sh .ci/setup/31-kube-schemas.sh .ci/setup/40-actionlint.sh)
lane_engine=(.ci/setup/32-trivy.sh .ci/setup/50-engine-tools.sh)
for script in .ci/setup/*.sh; do
    n=0
    for s in "${lane_kube[@]}" "${lane_engine[@]}"; do [[ $s == "$script" ]] && n=$((n + 1)); done
    if ((n != 1)); then
        echo "npm test: $script is in $n set-up lanes of .ci/test.sh; add it to exactly one" >&2
        exit 1
    fi
done
run_lane() {
    local s
    for s in "$@"; do
        echo "== $s"
        bash "$s" || return 1
    done
}
step "tools: ${lane_kube[*]} | ${lane_engine[*]}"
logs=$(mktemp -d)
run_lane "${lane_kube[@]}" >"$logs/kube.log" 2>&1 &
pid_kube=$!
run_lane "${lane_engine[@]}" >"$logs/engine.log" 2>&1 &
pid_engine=$!
progress() {
    local name
    for name in kube engine; do
        printf '  [%4ds] %-6s %s\n' "$((SECONDS - step_start))" "$name" "$(grep -v '^go: downloading' "$logs/$name.log" | tail -n 1)"
    done
}
while kill -0 "$pid_kube" 2>/dev/null || kill -0 "$pid_engine" 2>/dev/null; do
    for _ in $(seq 60); do
        { kill -0 "$pid_kube" 2>/dev/null || kill -0 "$pid_engine" 2>/dev/null; } || break
        sleep 1
    done
    progress
done
lanes_failed=()
wait "$pid_kube" || lanes_failed+=(kube)
wait "$pid_engine" || lanes_failed+=(engine)
for name in kube engine; do
    echo "-- lane $name:"
    grep -v '^go: downloading' "$logs/$name.log"
done
rm -rf "$logs"
if ((${#lanes_failed[@]} > 0)); then
    echo "npm test: tool set-up failed in lane(s): ${lanes_failed[*]} (see above)" >&2
    exit 1
fi

# The e2e finds the stand-in plugins on PATH only (tests/e2e/engine.ts).
export PATH="$tools_dir/stand-ins/bin:$PATH"

step "prettier --check"
npm run --silent lint
step "tsc --noEmit"
npm run --silent typecheck

step "mocha: unit and integration suites"
log=$(mktemp)
set +e
npx mocha --parallel --jobs 2 'tests/**/*.test.ts' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
echo "mocha: ${passed} passed, ${failed} failed"
((status == 0)) || exit "$status"

step "npm run verify (schemas, kube-score, trivy, kube-apiserver dry-run)"
npm run --silent verify

step "npm run e2e (real Pulumi engine on loopback clusters)"
npm run --silent e2e

summary "passed"
