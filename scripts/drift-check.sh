#!/usr/bin/env bash
# Drift check of one stack: is what runs still what the Pulumi state says, and is the state still
# what the program (at this commit) says?
#
#   ./scripts/drift-check.sh --stack production             # both checks; summary on stdout
#   ./scripts/drift-check.sh --stack staging --out /tmp/d   # keep pulumi's JSON output there
#   ./scripts/drift-check.sh report /tmp/d --stack staging  # the summary of a kept run again
#
# Run `./scripts/drift-check.sh --help` for the exit codes and variables. Nothing is changed: both
# checks are previews, so read-only credentials (as for pull-request previews) are enough.
set -euo pipefail

readonly STACKS=(development staging production canary)
readonly EXIT_DRIFT=1 EXIT_USAGE=2 EXIT_PREREQ=3 EXIT_PULUMI=4
# pulumi's own exit code for "--expect-no-changes, but changes were proposed"
readonly PULUMI_EXIT_CHANGES=7

usage() {
    local text
    IFS= read -r -d '' text <<'EOF' || true
Usage: scripts/drift-check.sh [check] --stack <name> [--out <dir>]
       scripts/drift-check.sh report <dir> --stack <name>

check (default) runs, for the stack, and changes nothing:
  pulumi refresh --preview-only --expect-no-changes --json   live objects against the state
                                                             (someone changed the cluster or
                                                             AWS by hand)
  pulumi preview --expect-no-changes --json                  the program against the state (a
                                                             merged change not deployed yet)
and prints a Markdown summary naming every drifted resource, its change and the properties
that differ (never their values). With GITHUB_STEP_SUMMARY set, the summary is appended there.
With --out, the summary is also written to <dir>/summary.md. report prints the summary again
from the files a check left in <dir>.

Options:
  -s, --stack <name>  development | staging | production | canary (also --stack=<name>)
  -o, --out <dir>     keep pulumi's output there (refresh.json, preview.json, *.err, *.exit);
                      default: a temporary folder, removed at the end
  -h, --help          show this help

Environment:
  PULUMI_ORG           Pulumi organization of the stacks (<org>/<stack>); unset: the backend's default
  PULUMI_ACCESS_TOKEN  Pulumi Cloud token (or log in once with `pulumi login`)
  GITHUB_STEP_SUMMARY  file the summary is appended to (set by GitHub Actions)

Exit codes: 0 no drift, 1 drift (the resources are named), 2 bad usage,
3 missing tool (pulumi, jq), 4 a pulumi command failed for another reason (its error is shown).
EOF
    printf '%s' "$text"
}

die() {
    local code="$1"
    shift
    printf 'drift-check: %s\n' "$*" >&2
    exit "$code"
}

command=check
stack=""
out=""
report_dir=""
summary_file=""

parse_args() {
    if [[ $# -gt 0 && ($1 == check || $1 == report) ]]; then
        command="$1"
        shift
        if [[ $command == report ]]; then
            [[ $# -gt 0 && $1 != -* ]] || die $EXIT_USAGE "report needs the folder a check wrote (--out <dir>)"
            report_dir="$1"
            shift
        fi
    fi
    while [[ $# -gt 0 ]]; do
        case "$1" in
        -s | --stack)
            [[ $# -ge 2 ]] || die $EXIT_USAGE "$1 needs a stack name (${STACKS[*]})"
            stack="$2"
            shift 2
            ;;
        --stack=*)
            stack="${1#--stack=}"
            shift
            ;;
        -o | --out)
            [[ $# -ge 2 ]] || die $EXIT_USAGE "$1 needs a folder"
            out="$2"
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) die $EXIT_USAGE "unknown argument '$1' (see --help)" ;;
        esac
    done
    local s
    for s in "${STACKS[@]}"; do [[ $stack == "$s" ]] && return 0; done
    if [[ -z $stack ]]; then
        die $EXIT_USAGE "no stack given: add --stack <name> (${STACKS[*]})"
    fi
    die $EXIT_USAGE "unknown stack '$stack': use one of ${STACKS[*]}"
}

require() {
    command -v "$1" >/dev/null 2>&1 || die $EXIT_PREREQ "$1 is not on PATH: $2"
}

# drifted <pulumi JSON file>: one tab-separated line per resource whose step is a change
# (type, name, operation, differing properties), from the JSON preview digest.
drifted() {
    jq -r '
        [.steps[]?
         | select(.op as $op | ["same", "read", "read-discard", "read-replacement", "refresh"] | index($op) | not)
         | (.urn | split("::")) as $u
         | [($u[2] | split("$") | last), ($u[3:] | join("::")), .op,
            (if (.detailedDiff // {} | length) > 0 then (.detailedDiff | keys)
             else (.diffReasons // []) + (.replaceReasons // []) | unique end | join(", "))]
         | @tsv] | .[]' "$1"
}

# errors_of <pulumi JSON file> <stderr file>: what made a pulumi command fail (each message once:
# the provider repeats the same error for every resource).
errors_of() {
    {
        jq -r '.diagnostics[]? | select(.severity == "error") | .message' "$1" 2>/dev/null || true
        cat "$2"
    } | sed 's/[[:space:]]*$//' | sed '/^$/d' | awk '!seen[$0]++' | tail -n 20
}

# section <title> <what it compares> <json> <exit file> <stderr file> <fix>: the Markdown of one
# check; returns 0 (clean), 1 (drift) or 4 (pulumi failed).
section() {
    local title="$1" what="$2" json="$3" exit_file="$4" err="$5" fix="$6" rc rows
    rc="$(cat "$exit_file")"
    printf '### %s\n\n%s\n\n' "$title" "$what"
    if [[ $rc == 0 ]]; then
        printf 'No drift.\n\n'
        return 0
    fi
    if [[ $rc != "$PULUMI_EXIT_CHANGES" ]]; then
        # shellcheck disable=SC2016 # Markdown code fences, not expansions
        printf 'The check itself failed (pulumi exit %s), so drift is unknown:\n\n```\n%s\n```\n\n' "$rc" "$(errors_of "$json" "$err")"
        return $EXIT_PULUMI
    fi
    rows="$(drifted "$json")"
    printf '**Drift:** %s resource(s).\n\n| resource | type | change | properties that differ |\n| --- | --- | --- | --- |\n' \
        "$(printf '%s' "$rows" | grep -c . || true)"
    local type name op props
    while IFS=$'\t' read -r type name op props; do
        [[ -n $type ]] || continue
        # shellcheck disable=SC2016 # Markdown code spans, not expansions
        printf '| `%s` | `%s` | %s | %s |\n' "$name" "$type" "$op" "${props:--}"
        printf 'drift: %s: %s %s (%s: %s)\n' "$stack" "$type" "$name" "$op" "${props:--}" >&2
    done <<<"$rows"
    printf '\n%s\n\n' "$fix"
    return $EXIT_DRIFT
}

report() {
    local dir="$1" full s
    local f
    for f in refresh.json refresh.exit refresh.err preview.json preview.exit preview.err; do
        [[ -f "$dir/$f" ]] || die $EXIT_USAGE "$dir/$f is missing: report reads the folder a check wrote with --out"
    done
    full="$(pulumi_stack)"
    local rc=0 body
    body="$(
        printf '## Drift check: %s\n\n' "$stack"
        s=0
        section "Live resources against the state" \
            "\`pulumi refresh --stack $full --preview-only --expect-no-changes\`: what runs in the cluster and in AWS against what the last deployment recorded." \
            "$dir/refresh.json" "$dir/refresh.exit" "$dir/refresh.err" \
            "A change made by hand. To put back what the program says: \`pulumi up --stack $full --refresh\` (review its preview). To keep the live values: change the program or config to match, then deploy. Full diff: \`pulumi refresh --stack $full --preview-only --diff\`." ||
            s=$?
        t=0
        section "The program against the state" \
            "\`pulumi preview --stack $full --expect-no-changes\`: the program at this commit against the last deployment." \
            "$dir/preview.json" "$dir/preview.exit" "$dir/preview.err" \
            "A change merged but not deployed (or a deployment that failed half-way). Deploy it: \`./scripts/deploy.sh --stack $stack\`. Full diff: \`pulumi preview --stack $full --diff\`." ||
            t=$?
        if ((s == EXIT_PULUMI || t == EXIT_PULUMI)); then exit $EXIT_PULUMI; fi
        if ((s == EXIT_DRIFT || t == EXIT_DRIFT)); then exit $EXIT_DRIFT; fi
        exit 0
    )" || rc=$?
    printf '%s\n' "$body"
    if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then printf '%s\n' "$body" >>"$GITHUB_STEP_SUMMARY"; fi
    if [[ -n $summary_file ]]; then printf '%s\n' "$body" >"$summary_file"; fi
    case $rc in
    0) echo "drift-check: $stack: no drift" >&2 ;;
    "$EXIT_DRIFT") echo "drift-check: $stack: DRIFT (resources listed above)" >&2 ;;
    *) echo "drift-check: $stack: a pulumi command failed; see its error above" >&2 ;;
    esac
    return "$rc"
}

pulumi_stack() {
    if [[ -n ${PULUMI_ORG:-} ]]; then printf '%s/%s' "$PULUMI_ORG" "$stack"; else printf '%s' "$stack"; fi
}

# run_check <name> <pulumi args...>: runs pulumi, keeping stdout, stderr and the exit code.
run_check() {
    local name="$1" rc=0
    shift
    echo "drift-check: pulumi $*" >&2
    pulumi "$@" >"$out/$name.json" 2>"$out/$name.err" || rc=$?
    echo "$rc" >"$out/$name.exit"
}

check() {
    require pulumi "install the Pulumi CLI (https://www.pulumi.com/docs/install/; the workflows pin its version)"
    require jq "apt-get install jq"
    local cleanup=""
    if [[ -z $out ]]; then
        out="$(mktemp -d)"
        cleanup="$out"
    else
        summary_file="$out/summary.md"
    fi
    mkdir -p "$out"
    local full
    full="$(pulumi_stack)"
    # PULUMI_SKIP_CONFIRMATIONS=true counts as --yes, which pulumi refuses together with
    # --preview-only: both checks are previews and need no confirmation anyway.
    unset PULUMI_SKIP_CONFIRMATIONS
    run_check refresh refresh --stack "$full" --preview-only --expect-no-changes --json --non-interactive
    run_check preview preview --stack "$full" --expect-no-changes --json --non-interactive
    local rc=0
    report "$out" || rc=$?
    [[ -z $cleanup ]] || rm -rf "$cleanup"
    return "$rc"
}

main() {
    parse_args "$@"
    if [[ $command == report ]]; then
        require jq "apt-get install jq"
        report "$report_dir"
    else
        check
    fi
}

main "$@"
