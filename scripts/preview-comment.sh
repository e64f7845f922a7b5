#!/usr/bin/env bash
# The pull-request comment for one stack's `pulumi preview --diff --policy-pack policy` when the
# preview failed (pulumi/actions posts its comment only when the preview succeeds). Same heading
# and <summary> as pulumi/actions' comment, so either one replaces the other on the next run.
#
#   pulumi preview --diff --policy-pack policy --stack acme/staging >out.txt 2>&1; rc=$?
#   ./scripts/preview-comment.sh acme/staging out.txt "$rc" >comment.md
#
# Prints Markdown: the result first (the policy pack's violations, or the error that stopped the
# preview), then the whole output, trimmed from the front to fit a GitHub comment.
# shellcheck disable=SC2016 # the backticks in this script are Markdown, never command substitution
set -euo pipefail

readonly PROJECT="kline-analytics"
# GitHub refuses comments over 65536 characters; keep room for the text around the output.
readonly MAX_OUTPUT=60000

if [[ $# -ne 3 || ! -f $2 || ! $3 =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/preview-comment.sh <stack name as given to --stack> <file with pulumi's output> <pulumi's exit code>" >&2
    exit 2
fi
stack="$1" output_file="$2" rc="$3"

# The output without colour codes, and with <, > and & escaped for the <pre> block.
plain="$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$output_file")"
escaped="$(printf '%s' "$plain" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')"

# One violation per line: "<pack>@v<version> [<level>]  <policy>  (<type>: <name>)<description>",
# its message on the next, unindented line; shown as the policy, the resource and the message.
violations() {
    printf '%s\n' "$plain" | awk -v level="[$1]" '
        pending && /^[[:space:]]/ { print pending; pending = "" }
        pending { print pending " " $0; pending = ""; next }
        index($0, level) { sub(/^[[:space:]]+/, ""); split($0, parts, ")"); pending = parts[1] ")"; sub(/^[^[]*/, "", pending); sub(/\[[a-z]+\][[:space:]]+/, "", pending); sub(/[[:space:]]+\(/, " (", pending) }
        END { if (pending) print pending }'
}
mapfile -t mandatory < <(violations mandatory)
mapfile -t advisory < <(violations advisory)
# what stopped the preview: its Diagnostics section (progress display), else everything from the
# first error line on (the diff display prints the error and the exception's message there),
# without stack-trace lines
mapfile -t errors < <(printf '%s\n' "$plain" | sed -n '/^Diagnostics:/,/^$/p' | sed '/^$/d' | head -n 30)
if ((${#errors[@]} == 0)); then
    mapfile -t errors < <(printf '%s\n' "$plain" | sed -n '/^[[:space:]]*error:/,$p' | grep -v -E '^[[:space:]]*at ' | sed '/^$/d' | head -n 12 || true)
fi
packs_ran=0
grep -q -E '^(Policy Packs run:|Policies:)' <<<"$plain" && packs_ran=1

printf '#### :tropical_drink: `preview` on %s/%s\n\n' "$PROJECT" "$stack"
if ((rc == 0)); then
    printf '**Preview succeeded.**'
elif ((${#mandatory[@]} > 0)); then
    printf '**Preview failed: the policy pack found %d mandatory violation(s).** Nothing can be deployed until they are fixed (`npm run synth -- --all && npm run policy` shows them offline).' "${#mandatory[@]}"
else
    printf '**Preview failed** (pulumi exit %s), not because of a policy.' "$rc"
fi
if ((packs_ran)); then
    printf ' Policy pack result: %d mandatory, %d advisory violation(s).\n\n' "${#mandatory[@]}" "${#advisory[@]}"
else
    printf ' The policy pack did not report: the preview stopped before it finished.\n\n'
fi
for line in "${mandatory[@]}" "${advisory[@]}"; do printf -- '- `%s`\n' "${line//\`/\'}"; done
if ((${#mandatory[@]} == 0 && ${#errors[@]} > 0)); then
    printf '\n```\n'
    printf '%s\n' "${errors[@]}"
    printf '```\n'
fi

trimmed=""
if ((${#escaped} > MAX_OUTPUT)); then
    escaped="${escaped: -$MAX_OUTPUT}"
    trimmed=$'\n:warning: The output was too long and was trimmed from the front.\n'
fi
printf '\n<details>\n<summary>Pulumi report</summary>\n%s\n<pre>\n%s\n</pre>\n\n</details>\n' "$trimmed" "$escaped"
