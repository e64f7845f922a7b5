// The text of `backup-restore.sh --help`.
import { LIMITS, MAX_RESTORE_TARGET_LENGTH } from "../../../contract/backup";

export const USAGE = `Usage: backup-restore.sh <command> [options]

Commands
  backup                      Dump $PGDATABASE and upload it to s3://$BACKUP_S3_BUCKET/$BACKUP_S3_PREFIX.
  list [--all]                Complete backups, newest first (name, size, age, creation time, UTC).
                              --all also shows incomplete or changed objects and why they are not backups.
  restore [<name>] [options]  Download, verify SHA-256, decompress, restore into a new database, verify
                              row counts against the metadata, then put it in place as the target.
      --window <N>{s|m|h|d}   Without <name>: newest complete backup not older than this
                              (default $BACKUP_REPLAY_WINDOW, else 24h; at most ${LIMITS.windowSeconds.max / 86400}d).
      --from <time> --to <time>
                              Without <name>: newest complete backup taken in [from, to] (ISO 8601, e.g.
                              2024-01-01T02:00:00Z; UTC unless a zone is given; --to defaults to now).
      --target-db <name>      Database to restore into (default $PGDATABASE; at most ${MAX_RESTORE_TARGET_LENGTH} characters).
      --force                 Allow replacing a non-empty target. The old database is kept, renamed to
                              <target>__pre_restore_<YYYYMMDDHHMMSS>; drop it yourself when satisfied.
      --no-owner              Skip ownership and privileges (restore into a cluster without the roles).
      --allow-other-source    Restore a backup taken of another database (another system identifier or
                              database name than this server's $PGDATABASE), or one that records none.
  validate [<name>] [--allow-other-source]
                              Trial restore of <name> (default: newest complete backup) into a scratch
                              database, verify it, drop it.
  pitr-window [--json] [pod options]
                              Point-in-time recovery of the in-cluster database (pgBackRest): the replay
                              window, from the end of the oldest kept backup to the newest archived WAL
                              segment, and the kept backups (--json: the same as JSON).
  pitr-restore --to <instant> --data-dir <dir> [--port <N>] [--keep-running] [pod options]
                              Restore to an RFC 3339 instant (e.g. 2026-12-02T14:25:00Z) into a new, empty
                              directory (never the live data directory), start a private server on a Unix
                              socket (--port, default 54329; archiving off), wait until recovery stopped
                              at the instant, and verify: pgBackRest checks every file against the backup
                              manifest's checksums, the recovery stop line is printed and every table of
                              every database is counted. --keep-running leaves that server up.
      --namespace <ns> --pod <pod> --container <name>
                              Pod options: run inside that pod through kubectl exec (defaults: kubectl's
                              namespace, kline-analytics-postgresql-0, pgbackrest). Without them the two
                              commands run here when pgbackrest is on PATH (scripts/pitr.sh with
                              PGBACKREST_CONFIG, PITR_STANZA, PG_BINDIR), else in that default pod.
                              They need neither Node.js nor the S3 settings below.
  -h, --help                  This text.
  Every option that takes a value needs one (--target-db=<name> or --target-db <name>).

Settings (environment)
  BACKUP_S3_BUCKET            Bucket name (required for every command).
  BACKUP_S3_PREFIX            Key prefix (default "backups/"); the bucket lifecycle expires objects here.
  BACKUP_S3_ENDPOINT          Endpoint URL of an S3-compatible store, e.g. http://127.0.0.1:9000 (optional).
  AWS_REGION                  Region of the bucket (required; AWS_DEFAULT_REGION is accepted too).
  AWS credentials             The AWS SDK's usual chain: IRSA web identity, AWS_ACCESS_KEY_ID/..., profiles.
                              AWS_MAX_ATTEMPTS sets the number of attempts per S3 request (default 3).
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE ...
                              Standard libpq variables. PGDATABASE is the database backed up and the
                              default restore target. Backup runs as the read-only backup role, restore
                              and validate as the restore role (CREATEDB); see docs/backups.md.
  BACKUP_ADMIN_DB             Database used for CREATE/DROP/ALTER DATABASE (default "postgres").
  BACKUP_CONCURRENCY          Parallelism (default 3, ${LIMITS.concurrency.min}-${LIMITS.concurrency.max}): zstd worker threads and S3 parts in flight;
                              pg_restore --jobs of restore/validate (1: one session, one transaction).
  BACKUP_ZSTD_LEVEL           zstd level ${LIMITS.zstdLevel.min}-${LIMITS.zstdLevel.max} (default 1: on a database dump it compresses about as
                              well as gzip -6 at a fraction of the CPU; see docs/backups.md).
  BACKUP_REPLAY_WINDOW        Default restore window, e.g. 24h, 7d (default 24h).
  BACKUP_NAME_PREFIX          Object name prefix (default "kline_analytics_backup").
  BACKUP_WORK_DIR             Writable scratch directory (default $TMPDIR or /tmp). A parallel restore or
                              validate keeps the uncompressed dump there (about the database's size); with
                              less room, they restore in one session from the compressed backup, which
                              needs room for that. Backup writes nothing there.
  BACKUP_WORK_DIR_LIMIT       The most restore/validate may write in BACKUP_WORK_DIR, e.g. 20Gi (the restore
                              pod's emptyDir sizeLimit, which the free space does not show; default: none).
  BACKUP_LOCK_OWNER           Owner written into the S3 lock (default host-pid-random). The CronJob sets
                              the Job name, so a retry of the same Job may take over its own stale lock.
  BACKUP_LOCK_TTL             Seconds after which a lock left by a dead backup expires
                              (default ${LIMITS.lockTtlSeconds.default}, ${LIMITS.lockTtlSeconds.min}-${LIMITS.lockTtlSeconds.max}).
  BACKUP_PG_LOCK_WAIT_TIMEOUT pg_dump --lock-wait-timeout (default 300s; 1s-24h).

Object layout (UTC timestamps; every object is written once, with If-None-Match: *)
  <prefix><name_prefix>_YYYYMMDD_HHMMSS.dump.zst              pg_dump custom format (-Fc -Z0), zstd
  <prefix><name_prefix>_YYYYMMDD_HHMMSS.dump.zst.sha256       "<sha256>  <name>" (sha256sum -c format)
  <prefix><name_prefix>_YYYYMMDD_HHMMSS.dump.zst.meta.json    size, source identity, versions, times, row counts
  <prefix>.locks/backup.lock.<NNNNNNNNNNNN>                   S3 lock generations (owner, state, expiry)
  A dump object is a backup only when both sidecars exist, it is not newer than them, and S3 stored
  it when its name says. Restore and validate also check its size, SHA-256 and source database.

Exit codes
  0 success   1 failure (dump, upload, S3 or PostgreSQL error)   2 usage or configuration error
  3 another backup holds the lock   4 integrity failure (checksum, size, row counts)
  5 refused: target database is not empty (see --force)   6 no complete backup matches
  7 refused: the backup comes from another database (see --allow-other-source)
  pitr-window, pitr-restore (scripts/pitr.sh): 0 success   2 usage   3 the instant is outside the window
  4 the directory is not empty or is the live data directory   5 restore or recovery failed
`;
