// What the stack configuration and the logical backup program (components/backup/logical) must agree
// on: the backup name pattern, the metadata a backup records, the lock layout and the limits of every
// setting. No imports: the program runs in the backup image without the Pulumi SDK.

/** Object name prefix of the dumps (BACKUP_NAME_PREFIX overrides it per run). */
export const DEFAULT_NAME_PREFIX = "kline_analytics_backup";
export const DUMP_SUFFIX = ".dump.zst";
export const SHA256_SUFFIX = ".sha256";
export const META_SUFFIX = ".meta.json";
/** A name prefix: letters, digits, '_' or '-', starting with a letter or digit. */
export const NAME_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `<prefix>_YYYYMMDD_HHMMSS.dump.zst` for one name prefix. */
export function backupNamePattern(namePrefix: string): RegExp {
    return new RegExp(`^${namePrefix}_(\\d{8})_(\\d{6})\\.dump\\.zst$`);
}
/** Names the stack's restore Job may ask for (the default name prefix). */
export const BACKUP_NAME_PATTERN = backupNamePattern(DEFAULT_NAME_PREFIX);
/** Any backup name, whatever its prefix (what `restore <name>` accepts). */
export const ANY_BACKUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}_(\d{8})_(\d{6})\.dump\.zst$/;

/** The UTC instant a backup name records (ms since the epoch), or undefined for a non-name. */
export function backupNameTime(name: string): number | undefined {
    const m = ANY_BACKUP_NAME_PATTERN.exec(name);
    if (!m) return undefined;
    const [d, t] = [m[1], m[2]];
    const ms = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6));
    // Date.UTC rolls 20240230 over into March: only a real calendar instant is a name.
    const back = new Date(ms).toISOString().replace(/[-:]/g, "").slice(0, 15);
    return back === `${d}T${t}` ? ms : undefined;
}

export function backupName(namePrefix: string, at: Date): string {
    const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
    return `${namePrefix}_${stamp}${DUMP_SUFFIX}`;
}

/** Lock generations live under `<prefix>.locks/`, one write-once object per change of hands. */
export const LOCK_DIR = ".locks/";
export const LOCK_KEY_PREFIX = `${LOCK_DIR}backup.lock.`;

/** Limits of the program's settings; config/ validates the stack keys that feed them with the same numbers. */
export const LIMITS = {
    concurrency: { min: 1, max: 16 },
    zstdLevel: { min: 1, max: 19 },
    /** A dead backup's lock expires after this many seconds (default 3 h). */
    lockTtlSeconds: { min: 60, max: 7 * 86400, default: 3 * 3600 },
    /** Restore windows and --window: 1 s to ten years; anything longer is refused, never wrapped. */
    windowSeconds: { min: 1, max: 3650 * 86400 },
    pgLockWaitSeconds: { min: 1, max: 86400, default: 300 },
    /** PostgreSQL identifiers end at 63 bytes. */
    databaseName: { max: 63 },
} as const;

/**
 * Longest restore target: a database a restore replaces is kept as
 * `<target>__pre_restore_<YYYYMMDDHHMMSS>` (28 more characters) and PostgreSQL names end at 63.
 */
export const KEPT_SUFFIX = "__pre_restore_";
export const MAX_RESTORE_TARGET_LENGTH = LIMITS.databaseName.max - KEPT_SUFFIX.length - 14;

/** Where a backup came from: restore refuses a backup of another database unless told. */
export interface SourceIdentity {
    /** pg_control_system().system_identifier: unique per cluster (initdb), as a decimal string. */
    systemIdentifier: string;
    database: string;
    /** PGHOST/PGPORT as the backup saw them (recorded for people; not compared: one server has many names). */
    host: string;
    port: number;
}

export const METADATA_FORMAT = 2;

/** `<name>.meta.json`. */
export interface BackupMetadata {
    format_version: typeof METADATA_FORMAT;
    name: string;
    program_version: string;
    format: string;
    compression: "zstd";
    compression_level: number;
    size_bytes: number;
    sha256: string;
    source: SourceIdentity;
    database: string;
    /** The role that owned the database; a restore creates its new database owned by it (not with --no-owner). */
    database_owner: string;
    database_size_bytes: number;
    encoding: string;
    server_version: string;
    server_version_num: number;
    pg_dump_version: string;
    started_at: string;
    finished_at: string;
    duration_seconds: number;
    table_count: number;
    /** `schema.table` -> exact row count in the dump's snapshot. */
    row_counts: Record<string, number>;
}
