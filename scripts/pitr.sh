#!/bin/bash
# Point-in-time recovery of the in-cluster PostgreSQL from its pgBackRest repository.
#
#   pitr.sh window [--json]
#       The replay window: every instant from the end of the oldest kept backup to the newest
#       archived WAL segment can be restored. Lists the kept backups.
#   pitr.sh restore --target <RFC 3339 instant> --data-dir <new or empty directory>
#                   [--port <port>] [--keep-running] [--no-start] [--resume]
#       Restores the newest backup that ended before the instant into the directory and replays
#       WAL up to it (archiving off in the copy, so it never writes into the repository). Never
#       over a live data directory: the directory must be new or empty (--resume: continue an
#       interrupted restore with pgBackRest's delta, as the restore pod's init step does).
#       Then starts a private server on a Unix socket (and --port, default 54329), waits until
#       recovery has stopped at the target and the server is promoted, and verifies it: the
#       recovery stop line of the server log, and the row count of every table of every database.
#       --no-start restores only (the restored instance's own container starts the server);
#       --keep-running leaves the private server up (stop it with pg_ctl -D <dir> stop).
#
# Environment: PGBACKREST_CONFIG (default /etc/pgbackrest/pgbackrest.conf), PITR_STANZA (default
# kline), PGUSER (the cluster's superuser; default pg1-user of the configuration), PG_BINDIR (pg_ctl and postgres; default: pg_config --bindir, else /usr/lib/postgresql/15/bin),
# PITR_RECOVERY_TIMEOUT seconds (default 3600).
# Exit codes: 0 success, 2 usage, 3 outside the window / nothing to restore, 4 the directory is not
# empty, 5 restore or recovery failed.
set -euo pipefail

STANZA=${PITR_STANZA:-kline}
PROG=$(basename "$0")

die() {
    local code=$1
    shift
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit "$code"
}
usage() {
    sed -n '3,/^# Exit codes/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
need() { command -v "$1" >/dev/null || die 2 "$1 is not on PATH ($2)"; }

pgbr() { pgbackrest --stanza="$STANZA" "$@"; }

# Epoch seconds (with fraction) of an RFC 3339 instant with a zone; fails on anything else.
instant_epoch() {
    local t=$1
    [[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
        die 2 "--target '$t': an RFC 3339 instant with a zone such as 2026-12-02T14:25:00Z is expected"
    date -u -d "$t" +%s.%N 2>/dev/null || die 2 "--target '$t' is not a real date and time"
}

# Writes "<start epoch> <end epoch>" of the window, or fails with exit 3.
window_bounds() {
    local info=$1 start end
    start=$(jq -r '[.[0].backup[]?.timestamp.stop] | min // empty' <<<"$info")
    [ -n "$start" ] || die 3 "the repository holds no backup of stanza $STANZA yet: nothing can be restored"
    end=$(pgbr --output=json repo-ls --recurse "archive/$STANZA" |
        jq -r '[to_entries[] | select(.value.type == "file" and (.key | test("^[0-9]+-[0-9]+/[0-9A-F]{16}/[0-9A-F]{24}"))) | .value.time] | max // empty')
    [ -n "$end" ] || die 3 "no WAL segment is archived for stanza $STANZA: nothing can be replayed"
    echo "$start $end"
}

iso() { date -u -d "@${1%.*}" +%Y-%m-%dT%H:%M:%SZ; }

cmd_window() {
    local json=0
    while [ $# -gt 0 ]; do
        case $1 in
            --json) json=1 ;;
            *) die 2 "window: unknown option '$1'" ;;
        esac
        shift
    done
    local info bounds
    info=$(pgbr --output=json info) || die 5 "pgbackrest info failed (repository unreachable?)"
    bounds=$(window_bounds "$info")
    local start=${bounds% *} end=${bounds#* }
    if [ "$json" = 1 ]; then
        jq -n --argjson s "$start" --argjson e "$end" --argjson info "$info" '{
            stanza: $info[0].name, start: ($s | todate), end: ($e | todate),
            backups: [$info[0].backup[] | {label: .label, type: .type, start: (.timestamp.start | todate), stop: (.timestamp.stop | todate),
                      sizeBytes: .info.size, storedBytes: .info.repository.delta}]}'
        return
    fi
    echo "stanza $STANZA: any instant from $(iso "$start") to $(iso "$end") can be restored"
    echo "  (from the end of the oldest kept backup to the newest archived WAL segment; changes committed"
    echo "   after that are still in the server's current segment, archived within archive_timeout)"
    echo "backups kept:"
    jq -r '.[0].backup[] | "  \(.label)  \(.type)  \(.timestamp.start | todate) .. \(.timestamp.stop | todate)  stored \(.info.repository.delta) bytes"' <<<"$info"
}

cmd_restore() {
    local target="" dir="" port=54329 keep=0 start=1 resume=0
    while [ $# -gt 0 ]; do
        case $1 in
            --target | --data-dir | --port)
                if [ $# -lt 2 ] || [ -z "$2" ] || [[ $2 == --* ]]; then die 2 "restore: $1 needs a value"; fi
                case $1 in
                    --target) target=$2 ;;
                    --data-dir) dir=$2 ;;
                    --port) port=$2 ;;
                esac
                shift
                ;;
            --keep-running) keep=1 ;;
            --no-start) start=0 ;;
            --resume) resume=1 ;;
            *) die 2 "restore: unknown option '$1'" ;;
        esac
        shift
    done
    [ -n "$target" ] || die 2 "restore: --target <RFC 3339 instant> is required"
    [ -n "$dir" ] || die 2 "restore: --data-dir <new or empty directory> is required"
    [[ $dir == /* ]] || die 2 "restore: --data-dir '$dir' must be an absolute path"
    if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || [ "$port" -gt 65535 ]; then die 2 "restore: --port '$port' is not a TCP port"; fi

    local epoch pgtarget micros
    epoch=$(instant_epoch "$target")
    micros=$(sed -E 's/0+$//' <<<"${epoch#*.}" | cut -c1-6)
    pgtarget="$(date -u -d "@${epoch%.*}" '+%Y-%m-%d %H:%M:%S')${micros:+.$micros}+00"

    # The restored instance's init step runs this again after a pod restart: done is done.
    local marker
    marker="$(dirname "$dir")/.kline-pitr-target"
    if [ "$resume" = 1 ] && [ -f "$marker" ]; then
        [ "$(cat "$marker")" = "$pgtarget" ] && {
            echo "already restored to $pgtarget ($dir)"
            return
        }
        die 4 "$dir was restored to $(cat "$marker"), not $pgtarget: restore into a new volume"
    fi
    local delta=()
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
        if [ "$resume" = 1 ] && { [ -f "$dir/backup_label" ] || [ -f "$dir/PG_VERSION" ]; }; then
            delta=(--delta)
            echo "continuing an interrupted restore into $dir (pgBackRest delta)"
        else
            die 4 "--data-dir $dir is not empty: a point-in-time restore goes into a new, empty directory, never over a data directory"
        fi
    fi

    local info bounds
    info=$(pgbr --output=json info) || die 5 "pgbackrest info failed (repository unreachable?)"
    bounds=$(window_bounds "$info")
    local wstart=${bounds% *} wend=${bounds#* }
    if awk -v t="$epoch" -v s="$wstart" 'BEGIN { exit !(t < s) }'; then
        die 3 "$target is before the window: the oldest kept backup ended at $(iso "$wstart") (pitr.sh window)"
    fi
    if awk -v t="$epoch" -v e="$wend" 'BEGIN { exit !(t > e) }'; then
        die 3 "$target is after the newest archived WAL segment ($(iso "$wend")): wait for archiving (at most archive_timeout) or pick an earlier instant"
    fi

    mkdir -p "$dir"
    chmod 700 "$dir"
    echo "restoring stanza $STANZA to $pgtarget into $dir"
    # --archive-mode=off: the copy never archives, so it cannot write into the live repository.
    pgbr restore --pg1-path="$dir" --type=time --target="$pgtarget" --target-action=promote --archive-mode=off "${delta[@]}" ||
        die 5 "pgbackrest restore failed (exit $?): its error is above (a damaged repository file stops a restore; pitr.sh window and pgbackrest verify show the repository state)"
    [ "$resume" = 1 ] && printf '%s' "$pgtarget" >"$marker"
    [ "$start" = 1 ] || return 0

    local bindir=${PG_BINDIR:-}
    if [ -z "$bindir" ]; then
        bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
    fi
    [ -x "$bindir/pg_ctl" ] || die 2 "pg_ctl not found in $bindir: set PG_BINDIR to the PostgreSQL server's bin directory"
    # The cluster's superuser: PGUSER, else pg1-user of the configuration, else postgres.
    local conf=${PGBACKREST_CONFIG:-/etc/pgbackrest/pgbackrest.conf}
    export PGUSER=${PGUSER:-$(sed -n 's/^pg1-user=//p' "$conf" 2>/dev/null | head -1)}
    PGUSER=${PGUSER:-postgres}
    local sock log
    sock=$(mktemp -d "${TMPDIR:-/tmp}/pitr-sock.XXXXXX")
    log="$dir/pitr-recovery.log"
    "$bindir/pg_ctl" -D "$dir" -l "$log" -w -t 120 \
        -o "-c listen_addresses='' -c port=$port -c unix_socket_directories='$sock' -c archive_mode=off -c archive_command=''" start >/dev/null ||
        die 5 "the restored server did not start: $(tail -5 "$log")"
    # pg_ctl -w returns once connections are accepted, which in recovery can be before the target.
    local deadline=$(($(date +%s) + ${PITR_RECOVERY_TIMEOUT:-3600})) state
    while :; do
        state=$(psql -X -Atq -h "$sock" -p "$port" -d postgres -c "select pg_is_in_recovery()" 2>/dev/null || true)
        [ "$state" = f ] && break
        if ! "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
            die 5 "recovery failed: $(grep -E 'FATAL|PANIC' "$log" | tail -3)"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || die 5 "recovery did not finish within ${PITR_RECOVERY_TIMEOUT:-3600} s"
        sleep 1
    done
    echo "verification:"
    grep -E 'recovery stopping|last completed transaction' "$log" | sed 's/^.*LOG: */  /' ||
        die 5 "the server log has no recovery stop line: recovery did not stop at the target"
    local db
    for db in $(psql -X -Atq -h "$sock" -p "$port" -d postgres -c "select datname from pg_database where datallowconn and not datistemplate order by 1"); do
        psql -X -Atq -h "$sock" -p "$port" -d "$db" -v ON_ERROR_STOP=1 <<'SQL' | sed "s/^/  $db./"
select format('%I.%I rows=%s', n.nspname, c.relname,
              (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
order by 1;
SQL
    done
    if [ "$keep" = 1 ]; then
        echo "the restored server is running on socket $sock port $port (stop: $bindir/pg_ctl -D $dir stop)"
    else
        "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
        rmdir "$sock" 2>/dev/null || true
        echo "restored into $dir (server stopped)"
    fi
}

[ $# -ge 1 ] || usage
need pgbackrest "apt-get install pgbackrest (listed in .ci/apt/backup.txt)"
need jq "apt-get install jq"
case $1 in
    window)
        shift
        cmd_window "$@"
        ;;
    restore)
        shift
        need psql "apt-get install postgresql-client"
        cmd_restore "$@"
        ;;
    -h | --help | help) usage ;;
    *) die 2 "unknown command '$1' (window, restore)" ;;
esac
