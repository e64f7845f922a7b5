#!/usr/bin/env bash
# kline-analytics PostgreSQL backups: backup | list | restore | validate (the logical tier, S3) and
# pitr-window | pitr-restore (point-in-time recovery of the in-cluster database, pgBackRest).
#
# The entry point the backup CronJob, the restore Job and people run. The work is done by a typed
# program (components/backup/logical: lock, catalogue, metadata, window selection, verification,
# S3 through the AWS SDK with write-once objects); this script only finds Node.js and the program and
# hands over its arguments unchanged. `backup-restore.sh --help` lists commands, settings and exit
# codes; docs/backups.md explains the design.
#
# Where the program is found, first match wins:
#   $BACKUP_PROGRAM                       a built cli.js (tests and benchmarks build one)
#   /opt/kline-backup/program/.../cli.js  the backup image (images/backup/Dockerfile)
#   this repository's TypeScript source   run through ts-node (npm ci first)
#
# pitr-window and pitr-restore run scripts/pitr.sh (the same script the database pod holds as
# /etc/pgbackrest/pitr.sh): here when pgbackrest is on PATH and no pod is named, otherwise inside the
# database pod through `kubectl exec`. They need no Node.js.
set -euo pipefail

fail() {
    printf '%s backup-restore: ERROR: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >&2
    exit "${2:-2}"
}

pitr_usage_error() { fail "$1; see --help"; }

# pitr-window / pitr-restore: parse, check, then run scripts/pitr.sh here or in the database pod.
pitr_command() {
    local command=$1 json=0 to="" dir="" port="" keep=0 namespace="" pod="" container="" remote=0 seen=" "
    shift
    while [[ $# -gt 0 ]]; do
        local opt=$1 value=""
        case $opt in
            --*=*)
                value=${opt#*=}
                opt=${opt%%=*}
                [[ -n "$value" ]] || pitr_usage_error "$command: $opt needs a value"
                ;;
        esac
        [[ $seen != *" $opt "* ]] || pitr_usage_error "$command: $opt is given twice"
        seen+="$opt "
        case $command:$opt in
            pitr-restore:--to | pitr-restore:--data-dir | pitr-restore:--port | *:--namespace | *:--pod | *:--container)
                if [[ $1 == "$opt" ]]; then
                    if [[ $# -lt 2 || -z "$2" || $2 == --* ]]; then pitr_usage_error "$command: $opt needs a value"; fi
                    value=$2
                    shift
                fi
                case $opt in
                    --to) to=$value ;;
                    --data-dir) dir=$value ;;
                    --port) port=$value ;;
                    --namespace) namespace=$value remote=1 ;;
                    --pod) pod=$value remote=1 ;;
                    --container) container=$value remote=1 ;;
                esac
                ;;
            pitr-window:--json | pitr-restore:--keep-running)
                [[ $1 == "$opt" ]] || pitr_usage_error "$command: $opt takes no value"
                if [[ $opt == --json ]]; then json=1; else keep=1; fi
                ;;
            *) pitr_usage_error "unknown option for $command: '$1'" ;;
        esac
        shift
    done

    local args=()
    if [[ $command == pitr-window ]]; then
        args=(window)
        [[ $json == 0 ]] || args+=(--json)
    else
        [[ -n "$to" ]] || pitr_usage_error "pitr-restore: --to <RFC 3339 instant> is required"
        [[ -n "$dir" ]] || pitr_usage_error "pitr-restore: --data-dir <new empty directory> is required"
        [[ $dir == /* ]] || pitr_usage_error "pitr-restore: --data-dir '$dir' must be an absolute path"
        if [[ -n "$port" ]] && { ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || [[ $port -gt 65535 ]]; }; then
            pitr_usage_error "pitr-restore: --port '$port' is not a TCP port"
        fi
        args=(restore --target "$to" --data-dir "$dir")
        [[ -z "$port" ]] || args+=(--port "$port")
        [[ $keep == 0 ]] || args+=(--keep-running)
    fi

    local here=0 live
    if [[ $remote == 0 ]] && command -v pgbackrest >/dev/null; then
        here=1
        # The live data directory: pg1-path of the configuration pgBackRest uses here.
        live=$(sed -n 's/^pg1-path=//p' "${PGBACKREST_CONFIG:-/etc/pgbackrest/pgbackrest.conf}" 2>/dev/null | head -1)
    else
        # In the database pod: its data volume (PGDATA is below it; the pgbackrest container mounts it read-only).
        live=/var/lib/postgresql/data
    fi
    if [[ $command == pitr-restore && -n "$live" ]]; then
        local want have
        want=$(realpath -m -- "$dir")
        have=$(realpath -m -- "$live")
        if [[ $want == "$have" || $want == "$have"/* || $have == "$want"/* ]]; then
            fail "pitr-restore: --data-dir $dir is, holds or lies inside the live data directory $live: restore into a new, empty directory elsewhere" 4
        fi
    fi

    if [[ $here == 1 ]]; then
        local script
        script="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/pitr.sh"
        [[ -f "$script" ]] || fail "scripts/pitr.sh is not beside this script ($script)"
        exec bash -- "$script" "${args[@]}"
    fi

    command -v kubectl >/dev/null ||
        fail "neither pgbackrest nor kubectl is on PATH: run this where pgBackRest 2.45 and the repository's configuration are, or install kubectl to run it in the database pod"
    local kube=(kubectl)
    [[ -z "$namespace" ]] || kube+=(--namespace "$namespace")
    # In the pod, pitr.sh comes from the pgBackRest ConfigMap; its live data directory is pg1-path there.
    exec "${kube[@]}" exec "${pod:-kline-analytics-postgresql-0}" --container "${container:-pgbackrest}" -- \
        bash /etc/pgbackrest/pitr.sh "${args[@]}"
}

# --help anywhere: the program prints the text of every command, these two included.
case " $* " in
    *" -h "* | *" --help "*) ;;
    " pitr-window "* | " pitr-restore "*) pitr_command "$@" ;;
esac

node_bin=${BACKUP_NODE:-$(command -v node || true)}
[[ -n "$node_bin" && -x "$node_bin" ]] ||
    fail "Node.js not found (BACKUP_NODE='${BACKUP_NODE:-}'); install Node.js 20 or 22, or set BACKUP_NODE=/path/to/node"

readonly IMAGE_PROGRAM=/opt/kline-backup/program/components/backup/logical/cli.js
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -n "${BACKUP_PROGRAM:-}" ]]; then
    [[ -f "$BACKUP_PROGRAM" ]] || fail "BACKUP_PROGRAM='$BACKUP_PROGRAM' is not a file; point it at a built cli.js or unset it"
    exec "$node_bin" -- "$BACKUP_PROGRAM" "$@"
elif [[ -f "$IMAGE_PROGRAM" ]]; then
    exec "$node_bin" -- "$IMAGE_PROGRAM" "$@"
elif [[ -f "$repo/components/backup/logical/cli.ts" ]]; then
    [[ -f "$repo/node_modules/ts-node/register/transpile-only.js" ]] ||
        fail "the backup program's dependencies are not installed; run 'npm ci --ignore-scripts' in $repo"
    # ts-node looks for tsconfig.json from the working directory: name the repository's.
    TS_NODE_PROJECT="$repo/tsconfig.json" exec "$node_bin" -r "$repo/node_modules/ts-node/register/transpile-only" -- \
        "$repo/components/backup/logical/cli.ts" "$@"
fi
fail "the backup program was found neither in the image ($IMAGE_PROGRAM) nor beside this script; set BACKUP_PROGRAM"
