#!/usr/bin/env bash
# kline-analytics PostgreSQL backups to S3-compatible storage: backup | list | restore | validate.
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
set -euo pipefail

fail() {
    printf '%s backup-restore: ERROR: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >&2
    exit 2
}

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
