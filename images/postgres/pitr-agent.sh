#!/bin/bash
# The pgBackRest agent of the in-cluster PostgreSQL pod (a container beside the server, sharing its
# data volume read-only and its socket directory). It creates the stanza once, then every
# PITR_LOOP_SECONDS:
#   - takes a full backup when the newest full one is PITR_FULL_EVERY_SECONDS old (or none exists),
#     else an incremental one when the newest backup of any type is PITR_INCR_EVERY_SECONDS old;
#   - runs `pgbackrest verify` when the last verification is PITR_VERIFY_EVERY_SECONDS old, judging
#     it by its output (pgBackRest 2.45's verify exits 0 even when it finds a bad file);
#   - writes Prometheus metrics to $PITR_METRICS_DIR/metrics.txt (busybox httpd serves the file).
# Backups are scheduled by age, not by clock time: a run missed while the pod was down happens as
# soon as it is back. pgBackRest reads its configuration from PGBACKREST_CONFIG (default
# /etc/pgbackrest/pgbackrest.conf); retention (expire) runs after every backup.
# PITR_AGENT_ONCE=1 runs one round and exits (tests).
set -uo pipefail

: "${PITR_STANZA:?PITR_STANZA is not set: the pgBackRest stanza, e.g. kline}"
: "${PITR_PGDATA:?PITR_PGDATA is not set: the PostgreSQL data directory}"
: "${PITR_METRICS_DIR:?PITR_METRICS_DIR is not set: where metrics.txt is written}"
FULL_EVERY=${PITR_FULL_EVERY_SECONDS:-604800}
INCR_EVERY=${PITR_INCR_EVERY_SECONDS:-86400}
VERIFY_EVERY=${PITR_VERIFY_EVERY_SECONDS:-604800}
LOOP=${PITR_LOOP_SECONDS:-60}
RETRY_AFTER=${PITR_RETRY_SECONDS:-900}
PG_SOCKET=${PITR_PG_SOCKET:-/var/run/postgresql}
PG_PORT=${PITR_PG_PORT:-5432}
for v in FULL_EVERY INCR_EVERY VERIFY_EVERY LOOP RETRY_AFTER PG_PORT; do
    if ! [[ ${!v} =~ ^[1-9][0-9]{0,8}$ ]]; then
        echo "pitr-agent: $v=${!v} is not a positive whole number of seconds" >&2
        exit 2
    fi
done
for tool in pgbackrest jq pg_isready; do
    command -v "$tool" >/dev/null || { echo "pitr-agent: $tool is not on PATH (the image is images/postgres/Dockerfile)" >&2; exit 2; }
done

log() { printf '%s pitr-agent: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

HEARTBEAT="$PITR_METRICS_DIR/.heartbeat"
stop=0
trap 'stop=1' TERM INT
# The container's probes check the heartbeat file's age: touched while waiting and every 30 s while
# a backup or a verification runs (a full backup of a large database takes hours).
beat() { touch "$HEARTBEAT"; }
pause() {
    beat
    sleep "$1" &
    wait $! 2>/dev/null || true
}
# Runs a command in the background, beating while it runs; its exit status is returned.
with_heartbeat() {
    "$@" &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        beat
        sleep 30 &
        wait $! 2>/dev/null || true
        kill -0 "$pid" 2>/dev/null || break
    done
    wait "$pid"
}

backup_failures=0
last_attempt_failed=0
next_attempt=0
verify_last=0
verify_errors=0

# `pgbackrest verify` exits 0 even when it finds a bad file (2.45): judge it by its output. With
# --verbose it prints, per archive and per backup, "missing: N, checksum invalid: N, size invalid: N,
# other: N"; the sum is the number of problems. "status: error" or an ERROR line counts at least one.
verify_problems() {
    local out=$1 n
    n=$(grep -oE '(missing|checksum invalid|size invalid|other): [0-9]+' <<<"$out" | awk -F': ' '{ s += $2 } END { print s + 0 }')
    if [ "$n" -eq 0 ] && grep -qE 'status: error|ERROR:' <<<"$out"; then n=1; fi
    echo "$n"
}

run_verify() {
    local out rc=0
    out=$(with_heartbeat pgbackrest --stanza="$PITR_STANZA" --log-level-console=info --verbose verify 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^/  verify: /'
    verify_last=$(date +%s)
    verify_errors=$(verify_problems "$out")
    if [ "$rc" -ne 0 ] && [ "$verify_errors" -eq 0 ]; then verify_errors=1; fi
    if [ "$verify_errors" -gt 0 ]; then log "verify reported $verify_errors problem(s) in the repository (exit $rc)"; fi
}

write_metrics() {
    local info_ok=$1 info=$2 ready=$3 now tmp
    now=$(date +%s)
    tmp="$PITR_METRICS_DIR/.metrics.txt.$$"
    {
        echo "# HELP kline_pitr_agent_last_round_timestamp_seconds When the agent last finished a round."
        echo "# TYPE kline_pitr_agent_last_round_timestamp_seconds gauge"
        echo "kline_pitr_agent_last_round_timestamp_seconds $now"
        echo "# HELP kline_pitr_repository_up 1 when pgbackrest info could read the repository."
        echo "# TYPE kline_pitr_repository_up gauge"
        echo "kline_pitr_repository_up $info_ok"
        echo "# HELP kline_pitr_wal_ready_segments WAL segments the server has finished but not archived yet."
        echo "# TYPE kline_pitr_wal_ready_segments gauge"
        echo "kline_pitr_wal_ready_segments $ready"
        echo "# HELP kline_pitr_backup_last_success_timestamp_seconds Stop time of the newest kept backup of each type (0: none)."
        echo "# TYPE kline_pitr_backup_last_success_timestamp_seconds gauge"
        if [ "$info_ok" = 1 ]; then
            for t in full diff incr; do
                echo "kline_pitr_backup_last_success_timestamp_seconds{type=\"$t\"} $(jq -r --arg t "$t" '[.[0].backup[]? | select(.type == $t) | .timestamp.stop] | max // 0' <<<"$info")"
            done
            echo "# HELP kline_pitr_window_start_timestamp_seconds Stop time of the oldest kept backup: the earliest restorable instant."
            echo "# TYPE kline_pitr_window_start_timestamp_seconds gauge"
            echo "kline_pitr_window_start_timestamp_seconds $(jq -r '[.[0].backup[]?.timestamp.stop] | min // 0' <<<"$info")"
            echo "# HELP kline_pitr_backups Backups kept in the repository."
            echo "# TYPE kline_pitr_backups gauge"
            echo "kline_pitr_backups $(jq -r '[.[0].backup[]?] | length' <<<"$info")"
        fi
        echo "# HELP kline_pitr_backup_failures_total Backups the agent started that failed."
        echo "# TYPE kline_pitr_backup_failures_total counter"
        echo "kline_pitr_backup_failures_total $backup_failures"
        echo "# HELP kline_pitr_backup_last_attempt_failed 1 when the agent's last backup attempt failed."
        echo "# TYPE kline_pitr_backup_last_attempt_failed gauge"
        echo "kline_pitr_backup_last_attempt_failed $last_attempt_failed"
        if [ "$verify_last" -gt 0 ]; then
            echo "# HELP kline_pitr_verify_last_run_timestamp_seconds When pgbackrest verify last ran."
            echo "# TYPE kline_pitr_verify_last_run_timestamp_seconds gauge"
            echo "kline_pitr_verify_last_run_timestamp_seconds $verify_last"
            echo "# HELP kline_pitr_verify_problems Problems the last pgbackrest verify reported (bad or missing files)."
            echo "# TYPE kline_pitr_verify_problems gauge"
            echo "kline_pitr_verify_problems $verify_errors"
        fi
    } >"$tmp" && mv -f "$tmp" "$PITR_METRICS_DIR/metrics.txt"
}

mkdir -p "$PITR_METRICS_DIR"
beat
write_metrics 0 "[]" 0

log "waiting for PostgreSQL on $PG_SOCKET:$PG_PORT"
until pg_isready -q -h "$PG_SOCKET" -p "$PG_PORT"; do
    [ "$stop" = 1 ] && exit 0
    pause 2
done
# Idempotent: on an existing stanza that matches the server it only checks.
until pgbackrest --stanza="$PITR_STANZA" stanza-create; do
    log "stanza-create failed; retrying in $LOOP s (WAL archiving fails until the stanza exists)"
    [ "$stop" = 1 ] && exit 0
    [ "${PITR_AGENT_ONCE:-0}" = 1 ] && exit 1
    pause "$LOOP"
done

while [ "$stop" = 0 ]; do
    now=$(date +%s)
    ready=$(find "$PITR_PGDATA/pg_wal/archive_status" -name '*.ready' 2>/dev/null | wc -l)
    if info=$(pgbackrest --stanza="$PITR_STANZA" --output=json info 2>/dev/null) && jq -e '.[0].status.code == 0 or .[0].status.code == 2' <<<"$info" >/dev/null; then
        info_ok=1
    else
        info_ok=0
        info="[]"
    fi
    type=""
    if [ "$info_ok" = 1 ] && [ "$now" -ge "$next_attempt" ]; then
        last_full=$(jq -r '[.[0].backup[]? | select(.type == "full") | .timestamp.stop] | max // 0' <<<"$info")
        last_any=$(jq -r '[.[0].backup[]?.timestamp.stop] | max // 0' <<<"$info")
        if [ $((now - last_full)) -ge "$FULL_EVERY" ]; then
            type=full
        elif [ $((now - last_any)) -ge "$INCR_EVERY" ]; then
            type=incr
        fi
    fi
    if [ -n "$type" ]; then
        log "starting a $type backup"
        if with_heartbeat pgbackrest --stanza="$PITR_STANZA" --type="$type" backup; then
            last_attempt_failed=0
            log "$type backup complete"
            info=$(pgbackrest --stanza="$PITR_STANZA" --output=json info 2>/dev/null) || info_ok=0
        else
            backup_failures=$((backup_failures + 1))
            last_attempt_failed=1
            next_attempt=$((now + RETRY_AFTER))
            log "$type backup failed; next attempt in $RETRY_AFTER s"
        fi
    elif [ "$info_ok" = 1 ] && [ $((now - verify_last)) -ge "$VERIFY_EVERY" ]; then
        run_verify
    fi
    write_metrics "$info_ok" "$info" "$ready"
    [ "${PITR_AGENT_ONCE:-0}" = 1 ] && break
    pause "$LOOP"
done
