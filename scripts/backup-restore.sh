#!/usr/bin/env bash
# kline-analytics PostgreSQL backups to S3-compatible storage: backup | list | restore | validate.
#
# The same script runs in the backup CronJob (read-only root filesystem, writable /tmp) and by hand.
# Run `backup-restore.sh --help` for settings, commands, object layout and exit codes; docs/backups.md
# explains the design. Design points that the code below relies on:
#   * A backup streams pg_dump -> zstd -> (sha256, byte count) -> `aws s3 cp -`; nothing of the dump
#     is written to local disk.
#   * The upload is only allowed to finish (stdin EOF reaches the CLI) after pg_dump and zstd exited 0
#     and the S3 lock is confirmed; otherwise the CLI is killed first, so the multipart upload is
#     never completed and no object appears.
#   * The .sha256 and .meta.json sidecars are written only after the upload completed; a dump object
#     without both, or replaced after them, is not a backup (`list` hides it, `restore` refuses it).
#   * Row counts recorded in the metadata come from the very snapshot pg_dump used (exported from a
#     REPEATABLE READ session), so a restore can be verified exactly.
set -euo pipefail
shopt -s inherit_errexit

readonly SCRIPT_VERSION="1"
readonly DUMP_SUFFIX=".dump.zst"

# Exit codes (documented in --help).
readonly EX_FAIL=1 EX_USAGE=2 EX_LOCKED=3 EX_INTEGRITY=4 EX_REFUSED=5 EX_NOTFOUND=6

usage() {
    cat <<'EOF'
Usage: backup-restore.sh <command> [options]

Commands
  backup                      Dump $PGDATABASE and upload it to s3://$BACKUP_S3_BUCKET/$BACKUP_S3_PREFIX.
  list [--all]                Complete backups, newest first (name, size, age, creation time, UTC).
                              --all also shows incomplete or changed objects and why they are not backups.
  restore [<name>] [options]  Download, verify SHA-256, decompress, restore into a new database, verify
                              row counts against the metadata, then put it in place as the target.
      --window <N>{s|m|h|d}   Without <name>: newest complete backup not older than this
                              (default $BACKUP_REPLAY_WINDOW, else 24h).
      --from <time> --to <time>
                              Without <name>: newest complete backup taken in [from, to] (any `date -d`
                              time, e.g. 2024-01-01T02:00:00Z; --to defaults to now).
      --target-db <name>      Database to restore into (default $PGDATABASE).
      --force                 Allow replacing a non-empty target. The old database is kept, renamed to
                              <target>__pre_restore_<YYYYMMDDHHMMSS>; drop it yourself when satisfied.
      --no-owner              Skip ownership and privileges (restore into a cluster without the roles).
  validate [<name>]           Trial restore of <name> (default: newest complete backup) into a scratch
                              database, verify it, drop it.
  -h, --help                  This text.

Settings (environment)
  BACKUP_S3_BUCKET            Bucket name (required for every command).
  BACKUP_S3_PREFIX            Key prefix (default "backups/"); the bucket lifecycle expires objects here.
  BACKUP_S3_ENDPOINT          Endpoint URL of an S3-compatible store, e.g. http://127.0.0.1:9000 (optional).
  AWS_REGION                  Region of the bucket (required; AWS_DEFAULT_REGION is accepted too).
  AWS_CLI                     AWS CLI to use (default /usr/bin/aws if present, else `aws` on PATH).
  AWS credentials             The CLI's usual chain: IRSA web identity, AWS_ACCESS_KEY_ID/..., profiles.
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE ...
                              Standard libpq variables. PGDATABASE is the database backed up and the
                              default restore target. The user needs CREATEDB for restore/validate.
  BACKUP_ADMIN_DB             Database used for CREATE/DROP/ALTER DATABASE (default "postgres").
  BACKUP_CONCURRENCY          Parallelism (default 3): zstd worker threads and concurrent S3 part
                              uploads/downloads (when no AWS config file is in use).
  BACKUP_ZSTD_LEVEL           zstd level 1-19 (default 1: on a database dump it compresses about as
                              well as gzip -6 at a fraction of the CPU; see docs/backups.md).
  BACKUP_REPLAY_WINDOW        Default restore window, e.g. 24h, 7d (default 24h).
  BACKUP_NAME_PREFIX          Object name prefix (default "kline_analytics_backup").
  BACKUP_WORK_DIR             Writable scratch directory (default $TMPDIR or /tmp). Restore/validate
                              need room for one compressed backup there; backup needs a few KB.
  BACKUP_LOCK_FILE            Same-host lock file (default $BACKUP_WORK_DIR/kline-backup.lock).
  BACKUP_LOCK_OWNER           Owner written into the S3 lock (default host-pid-random). The CronJob sets
                              the Job name, so a retry of the same Job may take over its own stale lock.
  BACKUP_LOCK_TTL             Seconds after which a lock left by a dead backup expires (default 10800).
  BACKUP_LOCK_SETTLE          Seconds between writing and re-reading the S3 lock (default 2; at least
                              twice as long as the lock write took).
  BACKUP_PG_LOCK_WAIT_TIMEOUT pg_dump --lock-wait-timeout (default 300s).

Object layout (UTC timestamps)
  <prefix><name_prefix>_YYYYMMDD_HHMMSS.dump.zst              pg_dump custom format (-Fc -Z0), zstd
  <prefix><name_prefix>_YYYYMMDD_HHMMSS.dump.zst.sha256       "<sha256>  <name>" (sha256sum -c format)
  <prefix><name_prefix>_YYYYMMDD_HHMMSS.dump.zst.meta.json    size, versions, times, row counts
  <prefix>.locks/backup.lock                                  S3 lock (owner, expiry) while a backup runs
  A dump object is a backup only when both sidecars exist and it is not newer than them (it was not
  replaced after the backup). Restore and validate also check its size and SHA-256.

Exit codes
  0 success   1 failure (dump, upload, S3 or PostgreSQL error)   2 usage or configuration error
  3 another backup holds the lock   4 integrity failure (checksum, size, row counts)
  5 refused: target database is not empty (see --force)   6 no complete backup matches
EOF
}

# ---------------------------------------------------------------------------------------------------
# Logging and errors

log() { printf '%s backup-restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
    local code=$1
    shift
    log "ERROR: $*"
    exit "$code"
}

# ---------------------------------------------------------------------------------------------------
# State cleaned up on exit

WORK=""
SCRATCH_DBS=()   # databases this run created and must drop unless they were put in place
BG_PIDS=()       # helper processes (fifo readers, snapshot session) to stop on exit
LOCK_PID=""      # background S3 lock protocol; waited for (not killed) so its PUT cannot land unseen

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pid
    # An interrupted backup: kill the upload first, so it can never complete a partial object.
    if [[ -n "$WORK" && -s "$WORK/aws.pid" ]]; then
        kill -KILL "$(cat "$WORK/aws.pid")" 2>/dev/null || true
    fi
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -n "$LOCK_PID" ]]; then
        wait "$LOCK_PID" 2>/dev/null || true
        s3_lock_release || true
    fi
    local db
    for db in "${SCRATCH_DBS[@]}"; do
        [[ -n "$db" ]] || continue
        log "dropping scratch database \"$db\""
        admin_sql "DROP DATABASE IF EXISTS $(quote_ident "$db")" >/dev/null 2>&1 ||
            log "WARNING: could not drop scratch database \"$db\"; drop it by hand"
    done
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        rm -rf -- "$WORK"
    fi
    exit "$rc"
}

on_signal() {
    log "ERROR: interrupted by signal"
    exit "$EX_FAIL"
}

# ---------------------------------------------------------------------------------------------------
# Settings

AWS_BIN=""
AWS_ARGS=()
PREFIX=""
NAME_PREFIX=""
CONCURRENCY=""
ZSTD_LEVEL=""

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

require_tool() {
    command -v "$1" >/dev/null 2>&1 || die "$EX_USAGE" "required tool '$1' not found on PATH; install $2"
}

setup_common() {
    local work_root="${BACKUP_WORK_DIR:-${TMPDIR:-/tmp}}"
    [[ -d "$work_root" && -w "$work_root" ]] ||
        die "$EX_USAGE" "BACKUP_WORK_DIR '$work_root' is not a writable directory; point BACKUP_WORK_DIR at one (in the pod: the /tmp emptyDir)"
    WORK=$(mktemp -d "$work_root/kline-backup.XXXXXX") ||
        die "$EX_USAGE" "cannot create a scratch directory under '$work_root'"
    chmod 700 "$WORK"

    CONCURRENCY="${BACKUP_CONCURRENCY:-3}"
    { is_uint "$CONCURRENCY" && ((CONCURRENCY >= 1 && CONCURRENCY <= 64)); } ||
        die "$EX_USAGE" "BACKUP_CONCURRENCY='$CONCURRENCY' is invalid; use an integer from 1 to 64"
    ZSTD_LEVEL="${BACKUP_ZSTD_LEVEL:-1}"
    { is_uint "$ZSTD_LEVEL" && ((ZSTD_LEVEL >= 1 && ZSTD_LEVEL <= 19)); } ||
        die "$EX_USAGE" "BACKUP_ZSTD_LEVEL='$ZSTD_LEVEL' is invalid; use an integer from 1 to 19"
    NAME_PREFIX="${BACKUP_NAME_PREFIX:-kline_analytics_backup}"
    [[ "$NAME_PREFIX" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] ||
        die "$EX_USAGE" "BACKUP_NAME_PREFIX='$NAME_PREFIX' is invalid; use letters, digits, '_' or '-'"
}

setup_s3() {
    [[ -n "${BACKUP_S3_BUCKET:-}" ]] ||
        die "$EX_USAGE" "BACKUP_S3_BUCKET is not set; export BACKUP_S3_BUCKET=<bucket name>"
    [[ "$BACKUP_S3_BUCKET" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
        die "$EX_USAGE" "BACKUP_S3_BUCKET='$BACKUP_S3_BUCKET' is not a valid bucket name (3-63 of a-z 0-9 . -)"
    local region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
    [[ -n "$region" ]] || die "$EX_USAGE" "AWS_REGION is not set; export AWS_REGION=<bucket region>, e.g. us-west-2"

    PREFIX="${BACKUP_S3_PREFIX-backups/}"
    PREFIX="${PREFIX#/}"
    [[ -z "$PREFIX" || "$PREFIX" == */ ]] || PREFIX="$PREFIX/"
    [[ "$PREFIX" =~ ^[A-Za-z0-9._/-]*$ && "$PREFIX" != *//* ]] ||
        die "$EX_USAGE" "BACKUP_S3_PREFIX='${BACKUP_S3_PREFIX:-}' is invalid; use letters, digits, '.', '_', '-' and single '/'"

    # The Debian awscli (v2) lives in /usr/bin; an `aws` earlier on PATH may be an unrelated v1 shim.
    if [[ -n "${AWS_CLI:-}" ]]; then
        AWS_BIN="$AWS_CLI"
    elif [[ -x /usr/bin/aws ]]; then
        AWS_BIN=/usr/bin/aws
    else
        AWS_BIN=$(command -v aws || true)
    fi
    [[ -n "$AWS_BIN" && -x "$AWS_BIN" ]] ||
        die "$EX_USAGE" "AWS CLI not found (AWS_CLI='${AWS_CLI:-}'); install awscli v2 or set AWS_CLI=/path/to/aws"

    AWS_ARGS=(--region "$region")
    if [[ -n "${BACKUP_S3_ENDPOINT:-}" ]]; then
        [[ "$BACKUP_S3_ENDPOINT" =~ ^https?://[^[:space:]]+$ ]] ||
            die "$EX_USAGE" "BACKUP_S3_ENDPOINT='$BACKUP_S3_ENDPOINT' is not an http(s) URL"
        AWS_ARGS+=(--endpoint-url "$BACKUP_S3_ENDPOINT")
    fi
    export AWS_PAGER=""

    # Parallel part transfers: the CLI reads these only from its config file. Write one into the
    # scratch dir unless the operator already has a config file (then theirs wins, untouched).
    local user_config="${AWS_CONFIG_FILE:-${HOME:-/nonexistent}/.aws/config}"
    if [[ ! -f "$user_config" ]]; then
        local cfg="$WORK/aws-config" section
        : >"$cfg"
        for section in default ${AWS_PROFILE:+"profile $AWS_PROFILE"}; do
            printf '[%s]\ns3 =\n    max_concurrent_requests = %s\n' "$section" "$((CONCURRENCY * 2))" >>"$cfg"
            if [[ -n "${BACKUP_S3_ENDPOINT:-}" ]]; then
                printf '    addressing_style = path\n' >>"$cfg"
            fi
        done
        export AWS_CONFIG_FILE="$cfg"
    fi
}

setup_pg() {
    require_tool pg_dump "the PostgreSQL client (Debian: postgresql-client)"
    require_tool pg_restore "the PostgreSQL client (Debian: postgresql-client)"
    require_tool psql "the PostgreSQL client (Debian: postgresql-client)"
    [[ -n "${PGDATABASE:-}" ]] || die "$EX_USAGE" "PGDATABASE is not set; export PGDATABASE=<database to back up / restore>"
    check_db_name "PGDATABASE" "$PGDATABASE"
    # Never prompt for a password (cron has no terminal): fail with libpq's message instead.
    export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"
}

check_db_name() {
    { [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_$-]*$ ]] && ((${#2} <= 63)); } ||
        die "$EX_USAGE" "$1='$2' is not a database name this script handles (letters, digits, _ \$ -, at most 63)"
}

s3_uri() { printf 's3://%s/%s%s' "$BACKUP_S3_BUCKET" "$PREFIX" "$1"; }

# ---------------------------------------------------------------------------------------------------
# AWS CLI calls with clear errors

# aws_run <what> <aws args...>: runs the CLI, keeps stderr; on failure explains and returns non-zero.
aws_run() {
    local what=$1
    shift
    # One error file per process: list and metadata download run concurrently.
    local err="$WORK/aws.$BASHPID.err"
    if "$AWS_BIN" "${AWS_ARGS[@]}" "$@" 2>"$err"; then
        return 0
    fi
    aws_explain "$what" "$err"
    return 1
}

# aws_get_lock <file>: 0 = read, 1 = no lock object, 2 = error (explained).
aws_get_lock() {
    if "$AWS_BIN" "${AWS_ARGS[@]}" s3api get-object --bucket "$BACKUP_S3_BUCKET" --key "$LOCK_KEY" "$1" \
        >/dev/null 2>"$WORK/lock.err"; then
        return 0
    fi
    if grep -qE 'NoSuchKey|Not Found|\(404\)' "$WORK/lock.err"; then
        return 1
    fi
    # S3 answers a missing key with 403, not 404, unless the caller may list the bucket for that very
    # request; the writer role may list only under the prefix (an s3:prefix condition GetObject never
    # meets), so the first backup of a bucket sees AccessDenied. A listing of the key tells them apart.
    if grep -qE 'AccessDenied|Forbidden|\(403\)' "$WORK/lock.err"; then
        local found
        if found=$("$AWS_BIN" "${AWS_ARGS[@]}" s3api list-objects-v2 --bucket "$BACKUP_S3_BUCKET" --prefix "$LOCK_KEY" \
            --max-keys 1 --query 'KeyCount' --output text 2>>"$WORK/lock.err") && [[ "$found" == 0 ]]; then
            return 1
        fi
    fi
    aws_explain "reading the lock s3://$BACKUP_S3_BUCKET/$LOCK_KEY" "$WORK/lock.err"
    return 2
}

aws_explain() {
    local what=$1 err=$2 msg hint=""
    msg=$(tr -s '\n' ' ' <"$err" | cut -c1-600)
    case "$msg" in
    *InvalidAccessKeyId* | *SignatureDoesNotMatch* | *ExpiredToken* | *InvalidToken* | *"Unable to locate credentials"* | *InvalidClientTokenId*)
        hint="the S3 credentials are wrong or missing: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile, or the IRSA role annotation" ;;
    *AccessDenied* | *Forbidden* | *"(403)"*)
        hint="access denied: the role or user lacks permission on s3://$BACKUP_S3_BUCKET/$PREFIX (writer role for backup, reader role for list/restore)" ;;
    *NoSuchBucket*)
        hint="bucket '$BACKUP_S3_BUCKET' does not exist: check BACKUP_S3_BUCKET and AWS_REGION" ;;
    *"Could not connect"* | *"Connection refused"* | *"Connect timeout"* | *"Read timeout"* | *"connection was closed"* | *EndpointConnectionError*)
        hint="the S3 endpoint is unreachable: check BACKUP_S3_ENDPOINT, DNS and the network policy" ;;
    *"No space left"*)
        hint="the scratch directory is full: set BACKUP_WORK_DIR to a directory with room for one compressed backup" ;;
    esac
    log "ERROR: S3 $what failed: ${msg:-no error text from $AWS_BIN}"
    [[ -z "$hint" ]] || log "hint: $hint"
}

# ---------------------------------------------------------------------------------------------------
# PostgreSQL helpers

quote_ident() { printf '"%s"' "${1//\"/\"\"}"; }

admin_sql() {
    psql -X -w -q -At -v ON_ERROR_STOP=1 -d "${BACKUP_ADMIN_DB:-postgres}" -c "$1"
}

# pg_check <db>: fails with libpq's own message (bad password, unreachable host, missing db).
pg_check() {
    local out
    if ! out=$(psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT 1" 2>&1); then
        die "$EX_FAIL" "cannot connect to PostgreSQL database \"$1\" (host ${PGHOST:-local socket}, port ${PGPORT:-5432}, user ${PGUSER:-$(id -un)}): $(tr -s '\n' ' ' <<<"$out")— check PGHOST/PGPORT/PGUSER/PGPASSWORD"
    fi
}

# The tables pg_dump dumps data for, each with its exact row count, as "schema.table<TAB>count"
# lines (or one JSON object when wrapped by COUNTS_JSON_SQL). FROM ONLY: pg_dump copies each
# inheritance child separately. Extension-owned tables are left out, as pg_dump leaves out their data.
readonly COUNTS_SQL="SELECT format('%I.%I', n.nspname, c.relname) AS tbl,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname),
                                            false, true, '')))[1]::text::bigint AS n
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
readonly COUNTS_JSON_SQL="SELECT count(*), coalesce(json_object_agg(tbl, n ORDER BY tbl), '{}') FROM ($COUNTS_SQL) t"

# db_is_empty <db>: true when the database has no relations outside the system schemas.
db_relation_count() {
    psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
          AND n.nspname NOT LIKE 'pg\\_temp%'"
}

db_exists() {
    local out
    out=$(admin_sql "SELECT 1 FROM pg_database WHERE datname = '${1//\'/\'\'}'") ||
        die "$EX_FAIL" "cannot query pg_database through \"${BACKUP_ADMIN_DB:-postgres}\"; set BACKUP_ADMIN_DB to a database you can connect to"
    [[ "$out" == "1" ]]
}

# ---------------------------------------------------------------------------------------------------
# Locks: flock on this host, plus an S3 lock object (owner + expiry) across hosts.
#
# S3 protocol (s3_lock_protocol, run in the background while the dump starts): read the lock; if
# another owner's lock has not expired, give up. Otherwise write ours, wait BACKUP_LOCK_SETTLE
# seconds and read it back; a concurrent writer that overwrote ours in the meantime wins, we give up.
# This is safe as long as one lock write lands within the settle delay. The upload cannot complete
# before the protocol succeeded (gate_upload holds its EOF), and a failure kills the upload at once,
# so a loser never leaves an object behind. Release overwrites the lock with an expired one, so the
# writer role needs no s3:DeleteObject at all.

LOCK_KEY=""
LOCK_OWNER=""

local_lock() {
    require_tool flock "util-linux"
    local file="${BACKUP_LOCK_FILE:-${BACKUP_WORK_DIR:-${TMPDIR:-/tmp}}/kline-backup.lock}"
    exec {LOCAL_LOCK_FD}>>"$file" || die "$EX_USAGE" "cannot open lock file '$file'; set BACKUP_LOCK_FILE to a writable path"
    flock -n "$LOCAL_LOCK_FD" ||
        die "$EX_LOCKED" "another backup is already running on this host (lock file $file)"
}

lock_field() { sed -n "s/^$1=//p" "$2" | head -n1; }

lock_settings() {
    LOCK_TTL="${BACKUP_LOCK_TTL:-10800}"
    { is_uint "$LOCK_TTL" && ((LOCK_TTL >= 60)); } ||
        die "$EX_USAGE" "BACKUP_LOCK_TTL='$LOCK_TTL' is invalid; use seconds, at least 60"
    LOCK_SETTLE="${BACKUP_LOCK_SETTLE:-2}"
    [[ "$LOCK_SETTLE" =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
        die "$EX_USAGE" "BACKUP_LOCK_SETTLE='$LOCK_SETTLE' is invalid; use seconds, e.g. 2"
    LOCK_KEY="${PREFIX}.locks/backup.lock"
    LOCK_OWNER="${BACKUP_LOCK_OWNER:-$(hostname 2>/dev/null || echo host)-$$-$RANDOM$RANDOM}"
    [[ "$LOCK_OWNER" =~ ^[A-Za-z0-9._:-]{1,200}$ ]] ||
        die "$EX_USAGE" "BACKUP_LOCK_OWNER='$LOCK_OWNER' is invalid; use letters, digits, '.', '_', ':', '-'"
}

# lock_fail <busy|error> <message>: records the outcome and stops the upload (see gate_upload).
lock_fail() {
    printf '%s\n' "$2" >"$WORK/lock.$1.tmp"
    mv "$WORK/lock.$1.tmp" "$WORK/lock.$1"
    if wait_for_file "$WORK/aws.pid" 10; then
        kill -KILL "$(cat "$WORK/aws.pid")" 2>/dev/null || true
    fi
}

# Background job. Leaves lock.ok, lock.busy or lock.error (with the reason), and lock.written as
# soon as our lock object may exist (before the PUT, which may land even if we are stopped during it).
s3_lock_protocol() {
    local current="$WORK/lock.current" now rc=0
    aws_get_lock "$current" || rc=$?
    if ((rc == 2)); then
        lock_fail error "cannot read the backup lock s3://$BACKUP_S3_BUCKET/$LOCK_KEY"
        return 0
    fi
    if ((rc == 0)); then
        local owner expires
        owner=$(lock_field owner "$current")
        expires=$(lock_field expires "$current")
        now=$(date +%s)
        if [[ "$owner" != "$LOCK_OWNER" ]] && is_uint "$expires" && ((expires > now)); then
            lock_fail busy "another backup holds the lock s3://$BACKUP_S3_BUCKET/$LOCK_KEY (owner $owner, expires $(date -u -d "@$expires" +%Y-%m-%dT%H:%M:%SZ)); if that backup is dead, wait for the expiry or delete the lock object"
            return 0
        fi
        if [[ "$owner" == "$LOCK_OWNER" ]]; then
            log "taking over our own stale lock (owner $owner)"
        elif is_uint "$expires" && ((expires > 0)); then
            log "lock of $owner expired; taking it over"
        fi
    fi
    now=$(date +%s)
    printf 'owner=%s\nexpires=%s\ncreated=%s\n' "$LOCK_OWNER" "$((now + LOCK_TTL))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/lock.mine"
    : >"$WORK/lock.written"
    local t0=${EPOCHREALTIME/./}
    if ! aws_run "writing the lock" s3api put-object --bucket "$BACKUP_S3_BUCKET" --key "$LOCK_KEY" \
        --body "$WORK/lock.mine" --content-type text/plain >/dev/null; then
        lock_fail error "cannot write the backup lock s3://$BACKUP_S3_BUCKET/$LOCK_KEY"
        return 0
    fi
    # A competitor that read "no lock" just before our write landed writes within about one CLI call:
    # wait at least twice as long as our own write took (a loaded host is slow for both of us).
    local write_us=$((${EPOCHREALTIME/./} - t0)) settle_us
    settle_us=$(awk -v s="$LOCK_SETTLE" 'BEGIN { printf "%d", s * 1000000 }')
    ((settle_us >= 2 * write_us)) || settle_us=$((2 * write_us))
    # Wait in slices: a backup that failed meanwhile (lock.abort) releases at once instead.
    local until_us=$((${EPOCHREALTIME/./} + settle_us))
    while ((${EPOCHREALTIME/./} < until_us)); do
        [[ ! -e "$WORK/lock.abort" ]] || return 0
        sleep 0.1
    done
    local seen="$WORK/lock.seen"
    rc=0
    aws_get_lock "$seen" || rc=$?
    if ((rc == 0)) && [[ "$(lock_field owner "$seen")" == "$LOCK_OWNER" ]]; then
        : >"$WORK/lock.ok"
    elif ((rc == 0)); then
        lock_fail busy "another backup ($(lock_field owner "$seen")) took the lock while this one started"
    else
        lock_fail error "cannot re-read the backup lock s3://$BACKUP_S3_BUCKET/$LOCK_KEY"
    fi
}

# Writes the released form of our lock (expired) into <dir>/.locks/backup.lock.
lock_released_file() {
    mkdir -p "$1/.locks"
    printf 'owner=%s\nexpires=0\nreleased=%s\n' "$LOCK_OWNER" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$1/.locks/backup.lock"
}

# Releases our lock after a failure (a successful backup releases it together with its sidecars).
s3_lock_release() {
    [[ -e "$WORK/lock.written" && ! -e "$WORK/lock.released" ]] || return 0
    : >"$WORK/lock.released"
    local seen="$WORK/lock.release" rc=0 expires
    expires=$(lock_field expires "$WORK/lock.mine" 2>/dev/null || echo 0)
    # A confirmed lock that has not expired is still ours: nobody takes over an unexpired lock.
    # Otherwise read it first and release it only if it is still ours.
    if [[ ! -e "$WORK/lock.ok" ]] || ! is_uint "$expires" || (($(date +%s) + 60 >= expires)); then
        aws_get_lock "$seen" || rc=$?
        if ((rc == 1)); then
            return 0
        elif ((rc == 0)) && [[ "$(lock_field owner "$seen")" != "$LOCK_OWNER" ]]; then
            return 0
        fi
    fi
    if ((rc == 0)); then
        lock_released_file "$WORK/release"
        if aws_run "releasing the lock" s3api put-object --bucket "$BACKUP_S3_BUCKET" --key "$LOCK_KEY" \
            --body "$WORK/release/.locks/backup.lock" --content-type text/plain >/dev/null; then
            return 0
        fi
    fi
    log "WARNING: could not release the lock s3://$BACKUP_S3_BUCKET/$LOCK_KEY; it expires by itself after BACKUP_LOCK_TTL, or a retry with the same BACKUP_LOCK_OWNER takes it over"
    return 1
}

# ---------------------------------------------------------------------------------------------------
# Small utilities

wait_for_file() { # wait_for_file <file> <seconds> [pid that must stay alive]
    local file=$1 deadline=$(($(date +%s) + $2)) pid=${3:-}
    while [[ ! -e "$file" ]]; do
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        (($(date +%s) < deadline)) || return 1
        sleep 0.05
    done
}

json_str() { # JSON string literal
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}

human_size() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1" 2>/dev/null || printf '%sB' "$1"; }

human_age() {
    local s=$1
    if ((s < 3600)); then
        printf '%dm' $((s / 60))
    elif ((s < 172800)); then
        printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
    else
        printf '%dd%02dh' $((s / 86400)) $((s % 86400 / 3600))
    fi
}

name_epoch() { # kline_analytics_backup_20240101_020000.dump.zst -> epoch seconds (UTC)
    local stamp=${1%"$DUMP_SUFFIX"}
    stamp=${stamp: -15}
    date -u -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2} ${stamp:9:2}:${stamp:11:2}:${stamp:13:2}" +%s
}

parse_duration() { # 24h -> 86400
    [[ "$1" =~ ^([0-9]+)([smhd])$ ]] || return 1
    local n=${BASH_REMATCH[1]}
    case ${BASH_REMATCH[2]} in
    s) echo "$n" ;;
    m) echo $((n * 60)) ;;
    h) echo $((n * 3600)) ;;
    d) echo $((n * 86400)) ;;
    esac
}

# ---------------------------------------------------------------------------------------------------
# Catalogue: which dump objects are complete backups, from one listing (no per-backup requests).
#
# A dump object is a backup when both sidecars exist and the object is not newer than either of
# them: the sidecars are written after the upload completed, so a dump object replaced afterwards
# (corrupted, truncated, overwritten) shows up as newer. Restore and validate then check the size
# recorded in the metadata and the SHA-256 of the content itself.
#
# Fills CAT_NAMES (complete, newest first), CAT_SIZE[name], CAT_STATUS[name] ("complete" or the
# reason it is not a backup) and CAT_ALL (every dump object, newest first).

declare -A CAT_SIZE=() CAT_STATUS=()
CAT_NAMES=()
CAT_ALL=()

meta_field() { # meta_field <file> <key>: our own one-field-per-line JSON
    sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" | head -n1
}

catalog_load() {
    local listing="$WORK/listing.tsv"
    aws_run "listing s3://$BACKUP_S3_BUCKET/$PREFIX" s3api list-objects-v2 --bucket "$BACKUP_S3_BUCKET" \
        --prefix "$PREFIX" --query 'Contents[].[Key,Size,LastModified]' --output text >"$listing" ||
        die "$EX_FAIL" "cannot list backups"
    grep -v '^None$' "$listing" >"$listing.objects" || true
    # LastModified as epoch nanoseconds, converted for all objects by one `date`.
    local -a modified=()
    if [[ -s "$listing.objects" ]]; then
        cut -f3 "$listing.objects" | date -u -f - +%s%N >"$listing.mtime" ||
            die "$EX_FAIL" "unexpected LastModified values in the bucket listing"
        mapfile -t modified <"$listing.mtime"
    fi

    local -A mtime=()
    local key size _lm name i=0
    local pattern="^${NAME_PREFIX}_[0-9]{8}_[0-9]{6}[.]dump[.]zst\$" # DUMP_SUFFIX
    while IFS=$'\t' read -r key size _lm; do
        name=${key#"$PREFIX"}
        mtime["$name"]=${modified[i]}
        i=$((i + 1))
        if [[ "$name" =~ $pattern ]]; then
            CAT_SIZE["$name"]=$size
        fi
    done <"$listing.objects"

    local names=("${!CAT_SIZE[@]}")
    if ((${#names[@]})); then
        mapfile -t CAT_ALL < <(printf '%s\n' "${names[@]}" | LC_ALL=C sort -r)
    fi
    for name in "${CAT_ALL[@]}"; do
        if [[ -z "${mtime[$name.sha256]:-}" ]]; then
            CAT_STATUS[$name]="incomplete: no .sha256 (failed or unfinished backup)"
        elif [[ -z "${mtime[$name.meta.json]:-}" ]]; then
            CAT_STATUS[$name]="incomplete: no .meta.json (failed or unfinished backup)"
        elif ((mtime[$name] > mtime[$name.sha256] || mtime[$name] > mtime[$name.meta.json])); then
            CAT_STATUS[$name]="bad: object changed after the backup (newer than its checksum); do not trust it"
        else
            CAT_STATUS[$name]="complete"
            CAT_NAMES+=("$name")
        fi
    done
}

# ---------------------------------------------------------------------------------------------------
# backup

# Pipeline stage between the checksum tee and the upload: copies the stream, then holds EOF until
# pg_dump and zstd exited 0 and the S3 lock was confirmed. On any failure it kills the CLI first,
# so the upload is abandoned (never completed) instead of storing a truncated object.
gate_upload() {
    local ok=1
    if ! cat; then
        log "upload side closed early"
        ok=0
    fi
    if ((ok)); then
        wait_for_file "$WORK/dump.rc" 60 && wait_for_file "$WORK/zstd.rc" 60 || ok=0
        [[ "$(cat "$WORK/dump.rc" 2>/dev/null)" == 0 ]] || ok=0
        [[ "$(cat "$WORK/zstd.rc" 2>/dev/null)" == 0 ]] || ok=0
    fi
    if ((ok)); then
        local deadline=$(($(date +%s) + 300))
        while [[ ! -e "$WORK/lock.ok" && ! -e "$WORK/lock.busy" && ! -e "$WORK/lock.error" ]] &&
            (($(date +%s) < deadline)); do
            sleep 0.05
        done
        [[ -e "$WORK/lock.ok" ]] || ok=0
    fi
    if ((ok)); then
        return 0
    fi
    if wait_for_file "$WORK/aws.pid" 5; then
        kill -KILL "$(cat "$WORK/aws.pid")" 2>/dev/null || true
    fi
    return 1
}

cmd_backup() {
    (($# == 0)) || die "$EX_USAGE" "backup takes no arguments (got: $*); see --help"
    setup_s3
    setup_pg
    require_tool zstd "zstd"
    require_tool sha256sum "coreutils"
    lock_settings
    local_lock
    pg_check "$PGDATABASE"

    # Snapshot session: exports the snapshot pg_dump uses and later counts rows in that same snapshot.
    mkfifo "$WORK/snap.ctl"
    psql -X -w -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$PGDATABASE" <"$WORK/snap.ctl" >"$WORK/snap.log" 2>&1 &
    local snap_pid=$!
    BG_PIDS+=("$snap_pid")
    local snap_fd
    exec {snap_fd}>"$WORK/snap.ctl"
    printf '%s\n' \
        "SET statement_timeout = 0;" \
        "SET idle_in_transaction_session_timeout = 0;" \
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" \
        "SELECT pg_export_snapshot(), current_setting('server_version'), current_setting('server_version_num'),
                pg_encoding_to_char(d.encoding), pg_database_size(d.datname)
           FROM pg_database d WHERE d.datname = current_database() \\g '$WORK/snap.tmp'" \
        "\\! mv '$WORK/snap.tmp' '$WORK/snap.info'" \
        "SET row_security = off;" \
        "$COUNTS_JSON_SQL \\g '$WORK/counts.tmp'" \
        "\\! mv '$WORK/counts.tmp' '$WORK/counts.json'" >&"$snap_fd"
    wait_for_file "$WORK/snap.info" 60 "$snap_pid" ||
        die "$EX_FAIL" "could not open a snapshot on \"$PGDATABASE\": $(tr -s '\n' ' ' <"$WORK/snap.log")"
    local snapshot server_version server_version_num encoding db_size
    IFS=$'\t' read -r snapshot server_version server_version_num encoding db_size <"$WORK/snap.info"

    local started_epoch started_at name key
    started_epoch=$(date +%s)
    started_at=$(date -u -d "@$started_epoch" +%Y-%m-%dT%H:%M:%SZ)
    name="${NAME_PREFIX}_$(date -u -d "@$started_epoch" +%Y%m%d_%H%M%S)${DUMP_SUFFIX}"
    key="$PREFIX$name"
    log "dumping \"$PGDATABASE\" ($(human_size "$db_size") on disk, PostgreSQL $server_version) to $(s3_uri "$name")"

    # The S3 lock is taken while the dump starts; the upload cannot finish without it (gate_upload).
    s3_lock_protocol &
    LOCK_PID=$!

    mkfifo "$WORK/sha.fifo" "$WORK/count.fifo"
    sha256sum <"$WORK/sha.fifo" >"$WORK/sha.out" &
    local sha_pid=$!
    wc -c <"$WORK/count.fifo" >"$WORK/count.out" &
    local count_pid=$!
    BG_PIDS+=("$sha_pid" "$count_pid")

    # Concurrency 1: zstd's single-threaded mode, which buffers little (-T1 still buffers whole jobs).
    local zstd_threads=("-T$CONCURRENCY")
    ((CONCURRENCY > 1)) || zstd_threads=(--single-thread)
    # --expected-size lets the CLI pick a part size that keeps large dumps under 10,000 parts; the
    # database's size on disk is a safe upper bound for the compressed dump.
    local rc=0 statuses
    set +e
    {
        if pg_dump -w --format=custom --compress=0 --snapshot="$snapshot" \
            --lock-wait-timeout="${BACKUP_PG_LOCK_WAIT_TIMEOUT:-300s}" "$PGDATABASE"; then
            echo 0 >"$WORK/dump.rc"
        else
            echo "$?" >"$WORK/dump.rc"
        fi
    } | {
        if zstd -q -c "-$ZSTD_LEVEL" "${zstd_threads[@]}"; then echo 0 >"$WORK/zstd.rc"; else echo "$?" >"$WORK/zstd.rc"; fi
    } | tee "$WORK/sha.fifo" "$WORK/count.fifo" | gate_upload | {
        # The CLI runs as a child so that killing it (gate_upload, lock_fail) shows only in its exit
        # status; the shell's "Killed" notice is discarded with this group's stderr.
        "$AWS_BIN" "${AWS_ARGS[@]}" s3 cp - "s3://$BACKUP_S3_BUCKET/$key" --only-show-errors \
            --expected-size "$((db_size + 1048576))" --content-type application/zstd <&0 2>"$WORK/upload.err" &
        echo "$!" >"$WORK/aws.pid"
        wait "$!"
    } 2>/dev/null
    statuses=("${PIPESTATUS[@]}")
    set -e
    wait "$sha_pid" "$count_pid" || true
    # A failed dump or upload need not wait for the lock to settle (cleanup still releases it).
    [[ "${statuses[*]}" == "0 0 0 0 0" ]] || : >"$WORK/lock.abort"
    wait "$LOCK_PID" || true

    # A lost or unreadable lock killed the upload (and so the dump): report that cause first.
    if [[ -e "$WORK/lock.busy" ]]; then
        die "$EX_LOCKED" "$(cat "$WORK/lock.busy"); this backup was abandoned, nothing was uploaded"
    fi
    if [[ -e "$WORK/lock.error" ]]; then
        die "$EX_FAIL" "$(cat "$WORK/lock.error"); this backup was abandoned, nothing was uploaded"
    fi
    local dump_rc zstd_rc
    dump_rc=$(cat "$WORK/dump.rc" 2>/dev/null || echo "?")
    zstd_rc=$(cat "$WORK/zstd.rc" 2>/dev/null || echo "?")
    if [[ "$dump_rc" != 0 ]]; then
        die "$EX_FAIL" "pg_dump failed (exit $dump_rc); the upload was abandoned, no backup was recorded"
    fi
    [[ "$zstd_rc" == 0 ]] || die "$EX_FAIL" "zstd failed (exit $zstd_rc); the upload was abandoned, no backup was recorded"
    for rc in "${statuses[@]}"; do
        if [[ "$rc" != 0 ]]; then
            aws_explain "upload of $(s3_uri "$name")" "$WORK/upload.err"
            die "$EX_FAIL" "upload failed (pipeline exit codes ${statuses[*]}); no backup was recorded"
        fi
    done

    local sha bytes
    read -r sha _ <"$WORK/sha.out"
    bytes=$(<"$WORK/count.out")
    { [[ "$sha" =~ ^[0-9a-f]{64}$ ]] && is_uint "$bytes"; } || die "$EX_FAIL" "internal error: no checksum or byte count for the stream"

    # The CLI exits 0 only once S3 completed the (multipart) upload, i.e. the object exists whole.
    # Row counts (queried in the dump's snapshot while it ran); end the snapshot session.
    printf '%s\n' "COMMIT;" "\\q" >&"$snap_fd"
    exec {snap_fd}>&-
    { wait "$snap_pid" && [[ -s "$WORK/counts.json" ]]; } ||
        die "$EX_FAIL" "counting rows in the dump's snapshot failed: $(tr -s '\n' ' ' <"$WORK/snap.log"); no backup was recorded"
    local counts table_count finished_epoch
    IFS=$'\t' read -r table_count counts <"$WORK/counts.json"
    finished_epoch=$(date +%s)

    mkdir "$WORK/sidecars"
    printf '%s  %s\n' "$sha" "$name" >"$WORK/sidecars/$name.sha256"
    # The lock is released (overwritten by an expired one) in the same upload as the sidecars.
    lock_released_file "$WORK/sidecars"
    {
        printf '{\n'
        printf '  "name": %s,\n' "$(json_str "$name")"
        printf '  "script_version": %s,\n' "$(json_str "$SCRIPT_VERSION")"
        printf '  "format": "pg_dump custom (-Fc -Z0) compressed with zstd",\n'
        printf '  "compression": "zstd",\n'
        printf '  "compression_level": %s,\n' "$ZSTD_LEVEL"
        printf '  "size_bytes": %s,\n' "$bytes"
        printf '  "sha256": %s,\n' "$(json_str "$sha")"
        printf '  "database": %s,\n' "$(json_str "$PGDATABASE")"
        printf '  "database_size_bytes": %s,\n' "$db_size"
        printf '  "encoding": %s,\n' "$(json_str "$encoding")"
        printf '  "server_version": %s,\n' "$(json_str "$server_version")"
        printf '  "server_version_num": %s,\n' "$server_version_num"
        printf '  "pg_dump_version": %s,\n' "$(json_str "$(pg_dump --version)")"
        printf '  "started_at": %s,\n' "$(json_str "$started_at")"
        printf '  "finished_at": %s,\n' "$(json_str "$(date -u -d "@$finished_epoch" +%Y-%m-%dT%H:%M:%SZ)")"
        printf '  "duration_seconds": %s,\n' "$((finished_epoch - started_epoch))"
        printf '  "table_count": %s,\n' "$table_count"
        printf '  "row_counts": %s\n' "$counts"
        printf '}\n'
    } >"$WORK/sidecars/$name.meta.json"
    : >"$WORK/lock.released"
    if ! aws_run "writing checksum, metadata and lock release" s3 cp --recursive --only-show-errors \
        "$WORK/sidecars/" "s3://$BACKUP_S3_BUCKET/$PREFIX" >/dev/null; then
        rm -f "$WORK/lock.released"
        die "$EX_FAIL" "could not store all of checksum/metadata/lock release for $name; it is a backup only if 'list' shows it (see 'list --all')"
    fi
    log "backup complete: $name ($(human_size "$bytes"), sha256 $sha, $table_count tables, $((finished_epoch - started_epoch)) s)"
    printf '%s\n' "$name"
}

# ---------------------------------------------------------------------------------------------------
# list

cmd_list() {
    local all=0
    while (($#)); do
        case $1 in
        --all) all=1 ;;
        *) die "$EX_USAGE" "unknown option for list: '$1'; see --help" ;;
        esac
        shift
    done
    setup_s3
    catalog_load
    local now name shown=0
    now=$(date +%s)
    local epoch
    printf '%-52s %10s %9s  %-19s  %s\n' NAME SIZE AGE "CREATED (UTC)" "$( ((all)) && echo STATUS)"
    for name in "${CAT_ALL[@]}"; do
        [[ "${CAT_STATUS[$name]}" == complete || $all == 1 ]] || continue
        epoch=$(name_epoch "$name")
        printf '%-52s %10s %9s  %-19s  %s\n' "$name" "$(human_size "${CAT_SIZE[$name]}")" "$(human_age $((now - epoch)))" \
            "$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S')" "$( ((all)) && echo "${CAT_STATUS[$name]}")"
        shown=$((shown + 1))
    done
    ((shown)) || log "no complete backups under $(s3_uri "")"
}

# ---------------------------------------------------------------------------------------------------
# restore / validate

# choose_backup <from_epoch|""> <to_epoch|"">: prints the newest complete backup taken in the window.
choose_backup() {
    local from=$1 to=$2 name epoch
    for name in "${CAT_NAMES[@]}"; do
        epoch=$(name_epoch "$name")
        if [[ -n "$from" ]] && ((epoch < from)); then continue; fi
        if [[ -n "$to" ]] && ((epoch > to)); then continue; fi
        printf '%s' "$name"
        return 0
    done
    local window="any time"
    [[ -z "$from" ]] || window="$(date -u -d "@$from" +%Y-%m-%dT%H:%M:%SZ) .. $(date -u -d "@${to:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)"
    if ((${#CAT_NAMES[@]})); then
        die "$EX_NOTFOUND" "no complete backup in the replay window ($window); the newest complete backup is ${CAT_NAMES[0]}: widen --window or name it"
    fi
    die "$EX_NOTFOUND" "no complete backup exists under $(s3_uri "") (replay window $window)"
}

# fetch_and_verify <name>: downloads the dump and its sidecars into $WORK/dl (one CLI call) and
# checks that the backup is complete, its size, and its SHA-256. A backup named by the operator needs
# no listing first: the download itself shows whether it exists and is complete.
fetch_and_verify() {
    local name=$1 dir="$WORK/dl"
    mkdir -p "$dir"
    if [[ -n "${CAT_SIZE[$name]:-}" ]]; then
        local avail need
        avail=$(df -B1 --output=avail "$dir" | tail -n1 | tr -d ' ') || avail=""
        need=$((CAT_SIZE[$name] + 16777216))
        if is_uint "$avail" && ((avail < need)); then
            die "$EX_FAIL" "not enough space in $dir for $name: need $(human_size "$need"), have $(human_size "$avail"); set BACKUP_WORK_DIR to a bigger directory"
        fi
        log "downloading $(s3_uri "$name") ($(human_size "${CAT_SIZE[$name]}"))"
    else
        log "downloading $(s3_uri "$name")"
    fi
    aws_run "download of $name" s3 cp --recursive --only-show-errors "s3://$BACKUP_S3_BUCKET/$PREFIX" "$dir/" \
        --exclude "*" --include "$name" --include "$name.sha256" --include "$name.meta.json" >/dev/null ||
        die "$EX_FAIL" "download failed; nothing was restored"

    local f missing=()
    for f in "$name" "$name.sha256" "$name.meta.json"; do
        [[ -f "$dir/$f" ]] || missing+=("$f")
    done
    if ((${#missing[@]} == 3)); then
        die "$EX_NOTFOUND" "backup $name does not exist under $(s3_uri ""); see 'list'"
    elif ((${#missing[@]})); then
        die "$EX_INTEGRITY" "backup $name is incomplete (missing ${missing[*]}): a failed or unfinished backup, not restorable; pick another from 'list'"
    fi

    local expected actual size recorded
    read -r expected _ <"$dir/$name.sha256"
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || die "$EX_INTEGRITY" "the .sha256 of $name is malformed; restore refused"
    size=$(stat -c %s "$dir/$name")
    recorded=$(meta_field "$dir/$name.meta.json" size_bytes)
    [[ "$size" == "$recorded" ]] ||
        die "$EX_INTEGRITY" "$name is $size bytes but the metadata records ${recorded:-?} (truncated or replaced); restore refused"
    read -r actual _ < <(sha256sum "$dir/$name")
    if [[ "$actual" != "$expected" ]]; then
        die "$EX_INTEGRITY" "checksum mismatch for $name: expected sha256 $expected, got $actual; the stored object is corrupt, restore refused (choose another backup from 'list')"
    fi
    log "sha256 verified: $actual"
}

# restore_into <name> <database>: creates <database> (must not exist), restores, verifies row counts.
restore_into() {
    local name=$1 db=$2 no_owner=$3 dir="$WORK/dl" meta="$WORK/dl/$1.meta.json"
    local encoding
    encoding=$(meta_field "$meta" encoding)
    [[ "$encoding" =~ ^[A-Za-z0-9_]+$ ]] || encoding=UTF8
    SCRATCH_DBS+=("$db")
    admin_sql "CREATE DATABASE $(quote_ident "$db") TEMPLATE template0 ENCODING '$encoding'" >/dev/null ||
        die "$EX_FAIL" "cannot create database \"$db\" (the user needs CREATEDB)"

    log "restoring $name into \"$db\""
    local opts=(-w --dbname="$db" --exit-on-error --single-transaction)
    ((no_owner)) && opts+=(--no-owner --no-privileges)
    local statuses
    set +e
    zstd -q -d -c "$dir/$name" | pg_restore "${opts[@]}" 2>"$WORK/restore.err"
    statuses=("${PIPESTATUS[@]}")
    set -e
    if [[ "${statuses[*]}" != "0 0" ]]; then
        die "$EX_FAIL" "restore into \"$db\" failed (zstd exit ${statuses[0]}, pg_restore exit ${statuses[1]}): $(tr -s '\n' ' ' <"$WORK/restore.err" | cut -c1-800)"
    fi

    # Verify: the restored tables and their row counts equal those recorded at backup time.
    local expected="$WORK/expected.tsv" actual="$WORK/actual.tsv"
    psql -X -w -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "${BACKUP_ADMIN_DB:-postgres}" \
        -v meta="$(cat "$meta")" -f - >"$WORK/expected.raw" <<'SQL' ||
SELECT key, value FROM json_each_text((:'meta')::json -> 'row_counts');
SQL
        die "$EX_INTEGRITY" "cannot read row counts from the metadata of $name"
    LC_ALL=C sort "$WORK/expected.raw" >"$expected"
    { echo "SET row_security = off;"; echo "$COUNTS_SQL;"; } |
        psql -X -w -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$db" -f - >"$WORK/actual.raw" ||
        die "$EX_FAIL" "cannot count rows in \"$db\""
    LC_ALL=C sort "$WORK/actual.raw" >"$actual"
    local tables
    tables=$(wc -l <"$expected")
    if ! cmp -s "$expected" "$actual"; then
        log "row count differences (- recorded at backup, + restored):"
        diff "$expected" "$actual" | grep '^[<>]' | sed 's/^</-/; s/^>/+/' | head -n 20 >&2 || true
        die "$EX_INTEGRITY" "restored database \"$db\" does not match the metadata of $name"
    fi
    log "verified \"$db\": $tables tables, row counts equal to the backup's"
}

cmd_restore() {
    local name="" window="" from="" to="" target="" force=0 no_owner=0
    while (($#)); do
        case $1 in
        --window) window=${2:-}; shift ;;
        --window=*) window=${1#*=} ;;
        --from) from=${2:-}; shift ;;
        --from=*) from=${1#*=} ;;
        --to) to=${2:-}; shift ;;
        --to=*) to=${1#*=} ;;
        --target-db) target=${2:-}; shift ;;
        --target-db=*) target=${1#*=} ;;
        --force) force=1 ;;
        --no-owner) no_owner=1 ;;
        -*) die "$EX_USAGE" "unknown option for restore: '$1'; see --help" ;;
        *)
            [[ -z "$name" ]] || die "$EX_USAGE" "restore takes one backup name (got '$name' and '$1')"
            name=$1
            ;;
        esac
        (($#)) && shift
    done
    local from_epoch="" to_epoch=""
    resolve_window "$name" "$window" "$from" "$to"
    setup_s3
    setup_pg
    require_tool zstd "zstd"
    require_tool sha256sum "coreutils"
    target=${target:-$PGDATABASE}
    check_db_name "--target-db" "$target"
    local stamp
    stamp=$(date -u +%Y%m%d%H%M%S)
    local staging="${target}__restoring" kept="${target}__pre_restore_${stamp}"
    ((${#kept} <= 63)) || die "$EX_USAGE" "target database name '$target' is too long to keep a renamed copy; use a shorter --target-db"
    pg_check "${BACKUP_ADMIN_DB:-postgres}"

    # Refuse early, before downloading anything.
    local target_exists=0
    if db_exists "$target"; then
        target_exists=1
        local rels
        rels=$(db_relation_count "$target") || die "$EX_FAIL" "cannot inspect database \"$target\""
        if ((rels > 0 && !force)); then
            die "$EX_REFUSED" "database \"$target\" exists and is not empty ($rels relations); restore refused. Use --target-db <new name>, or --force to replace it (the old one is kept as \"$kept\")"
        fi
    fi
    if db_exists "$staging"; then
        log "dropping leftover staging database \"$staging\" from an earlier failed restore"
        admin_sql "DROP DATABASE $(quote_ident "$staging")" >/dev/null || die "$EX_FAIL" "cannot drop \"$staging\""
    fi

    local chosen=$name
    if [[ -z "$chosen" ]]; then
        catalog_load
        chosen=$(choose_backup "$from_epoch" "$to_epoch")
    fi
    log "restoring backup $chosen into \"$target\""
    fetch_and_verify "$chosen"
    restore_into "$chosen" "$staging" "$no_owner"

    # Put the verified copy in place. Renames need the databases to be idle (stop the app first).
    if ((target_exists)); then
        if (($(db_relation_count "$target") > 0)); then
            admin_sql "ALTER DATABASE $(quote_ident "$target") RENAME TO $(quote_ident "$kept")" >/dev/null ||
                die "$EX_FAIL" "cannot rename \"$target\" (sessions still connected? stop the application first); the verified restore stays in \"$staging\""
            log "previous \"$target\" kept as \"$kept\""
        else
            admin_sql "DROP DATABASE $(quote_ident "$target")" >/dev/null ||
                die "$EX_FAIL" "cannot drop the empty database \"$target\" (sessions still connected?)"
        fi
    fi
    admin_sql "ALTER DATABASE $(quote_ident "$staging") RENAME TO $(quote_ident "$target")" >/dev/null ||
        die "$EX_FAIL" "cannot rename \"$staging\" to \"$target\""
    SCRATCH_DBS=()
    log "restore complete: $chosen is now database \"$target\""
    printf '%s\n' "$chosen"
}

# resolve_window <name> <window> <from> <to>: sets from_epoch/to_epoch of the caller.
resolve_window() {
    local name=$1 window=$2 from=$3 to=$4
    if [[ -n "$name" ]]; then
        [[ -z "$window$from$to" ]] || die "$EX_USAGE" "give either a backup name or --window/--from/--to, not both"
        [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*_[0-9]{8}_[0-9]{6}\.dump\.zst$ ]] ||
            die "$EX_USAGE" "'$name' is not a backup name (expected <prefix>_YYYYMMDD_HHMMSS$DUMP_SUFFIX, see 'list')"
        return 0
    fi
    if [[ -n "$from$to" ]]; then
        [[ -z "$window" ]] || die "$EX_USAGE" "give either --window or --from/--to, not both"
        [[ -n "$from" ]] || die "$EX_USAGE" "--to needs --from"
        from_epoch=$(date -u -d "$from" +%s 2>/dev/null) || die "$EX_USAGE" "--from '$from' is not a time (e.g. 2024-01-01T02:00:00Z)"
        if [[ -n "$to" ]]; then
            to_epoch=$(date -u -d "$to" +%s 2>/dev/null) || die "$EX_USAGE" "--to '$to' is not a time (e.g. 2024-01-02T02:00:00Z)"
        else
            to_epoch=$(date +%s)
        fi
        ((from_epoch <= to_epoch)) || die "$EX_USAGE" "--from ($from) is after --to ($to)"
        return 0
    fi
    window=${window:-${BACKUP_REPLAY_WINDOW:-24h}}
    local seconds
    { seconds=$(parse_duration "$window") && ((seconds > 0)); } ||
        die "$EX_USAGE" "replay window '$window' is invalid; use <number>{s|m|h|d}, e.g. 24h or 7d (--window or BACKUP_REPLAY_WINDOW)"
    to_epoch=$(date +%s)
    from_epoch=$((to_epoch - seconds))
}

cmd_validate() {
    (($# <= 1)) || die "$EX_USAGE" "validate takes at most one backup name; see --help"
    local name=${1:-}
    [[ "$name" != -* ]] || die "$EX_USAGE" "unknown option for validate: '$name'; see --help"
    if [[ -n "$name" ]]; then
        [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*_[0-9]{8}_[0-9]{6}\.dump\.zst$ ]] ||
            die "$EX_USAGE" "'$name' is not a backup name (expected <prefix>_YYYYMMDD_HHMMSS$DUMP_SUFFIX, see 'list')"
    fi
    setup_s3
    setup_pg
    require_tool zstd "zstd"
    require_tool sha256sum "coreutils"
    pg_check "${BACKUP_ADMIN_DB:-postgres}"
    local chosen=$name scratch
    if [[ -z "$chosen" ]]; then
        catalog_load
        chosen=$(choose_backup "" "")
    fi
    scratch="${PGDATABASE:0:30}__validate_$(date -u +%Y%m%d%H%M%S)_$$"
    fetch_and_verify "$chosen"
    restore_into "$chosen" "$scratch" 1
    # cleanup() drops the scratch database.
    log "validate OK: $chosen restores and matches its metadata"
    printf '%s\n' "$chosen"
}

# ---------------------------------------------------------------------------------------------------

main() {
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
    -h | --help | help) usage; return 0 ;;
    backup | list | restore | validate) ;;
    "") usage >&2; die "$EX_USAGE" "no command given" ;;
    *) usage >&2; die "$EX_USAGE" "unknown command '$cmd'" ;;
    esac
    local a
    for a in "$@"; do
        [[ "$a" == -h || "$a" == --help ]] && { usage; return 0; }
    done
    trap cleanup EXIT
    trap on_signal INT TERM
    setup_common
    "cmd_$cmd" "$@"
}

main "$@"
