// The backup part of the configuration: schedule, retention and concurrency from the environment
// matrix (config/environments.ts), the bucket's security options, the pinned backup image, and an
// optional restore request. Called by config/index.ts with its Reader, so problems land in the
// same ConfigError.
import { ENVIRONMENTS, Environment } from "./environments";
import type { Reader } from "./reader";
import { BACKUP_NAME_PATTERN, MAX_RESTORE_TARGET_LENGTH } from "../contract/backup";
import { BackupConfig } from "./types";
import { Parsed, bounded, checkCron, checkTimeZone, parseDuration, parseImage, parseMemory, showBytes, showSeconds } from "./validate";

/**
 * The backup and restore image: PostgreSQL 16 client tools (pg_dump must not be older than the
 * server), zstd, Node.js 22 and the logical backup program with scripts/backup-restore.sh (the AWS
 * SDK sends upload checksums, as Object Lock buckets require). Built from images/backup/Dockerfile;
 * the tag names the PostgreSQL and Node.js versions and the build.
 */
// renovate: image versioning=loose
export const DEFAULT_BACKUP_IMAGE = "ghcr.io/stocksanalyses/kline-backup:16.6-node22.12.0-1";
export const BACKUP_PREFIX = "backups/";
/** The names the backup program gives its dumps and the longest restore target it takes. */
export { BACKUP_NAME_PATTERN, MAX_RESTORE_TARGET_LENGTH } from "../contract/backup";

/** Default names of the backup and restore database roles (docs/backups.md has the SQL that creates them). */
export const DEFAULT_BACKUP_DB_USER = "kline_backup";
export const DEFAULT_RESTORE_DB_USER = "kline_restore";

const checkImage = (v: string) => {
    const p = parseImage(v);
    return p.ok ? undefined : p.reason;
};

/** PostgreSQL's own databases: a restore never writes into them. */
export const SYSTEM_DATABASES = ["postgres", "template0", "template1"];
/** The restore pod's scratch space holds one compressed backup: from 1Gi to 1Ti (node ephemeral storage). */
const parseScratchSize = bounded(parseMemory, 1024 ** 3, 1024 ** 4, showBytes);

/** A replay or restore window: from 1h (backups are at most hourly) to the backup retention (nothing older is kept). */
function windowParser(retentionDays: number): (v: string) => Parsed<number> {
    return bounded(parseDuration, 3600, retentionDays * 86400, showSeconds);
}

export function readBackupConfig(
    r: Reader,
    project: string,
    env: Environment,
    isCanary: boolean,
    dbName: string,
    appUser: string,
    dbInCluster: boolean,
): BackupConfig {
    // A stack without backups of its own (the canary) shares production's: it checks its keys against those.
    const d = env.backup ?? ENVIRONMENTS.production.backup!;
    const enabled = r.boolean("backupEnabled", env.backup !== undefined);
    if (enabled && isCanary) {
        r.problems.push(`${project}:backupEnabled = "true": the canary shares production's data and backups; remove the key`);
    }
    const retentionDays = r.integer("backupRetentionDays", d.retentionDays);
    const objectLockDays = r.integer("backupObjectLockDays");
    if (objectLockDays > retentionDays) {
        r.problems.push(
            `${project}:backupObjectLockDays = "${objectLockDays}": Object Lock cannot outlast backupRetentionDays (${retentionDays}), or expired backups could not be deleted`,
        );
    }

    const restoreName = r.raw("restoreBackupName");
    const restoreWindow = r.raw("restoreWindow");
    if (restoreWindow !== undefined) {
        const d = windowParser(retentionDays)(restoreWindow);
        if (!d.ok) r.problems.push(`${project}:restoreWindow = ${JSON.stringify(restoreWindow)}: ${d.reason}`);
    }
    if (restoreName !== undefined && !BACKUP_NAME_PATTERN.test(restoreName)) {
        r.problems.push(
            `${project}:restoreBackupName = ${JSON.stringify(restoreName)}: a backup name such as kline_analytics_backup_20240101_020000.dump.zst is expected (see \`backup-restore.sh list\`)`,
        );
    }
    const restoreTarget = r.string("restoreTargetDb", `${dbName}_restored`, (v) => {
        if (!new RegExp(`^[a-z_][a-z0-9_]{0,${MAX_RESTORE_TARGET_LENGTH - 1}}$`).test(v)) {
            return `a lower-case PostgreSQL identifier of at most ${MAX_RESTORE_TARGET_LENGTH} characters is expected (the script keeps a replaced database as <name>__pre_restore_<YYYYMMDDHHMMSS>, within PostgreSQL's 63)`;
        }
        return SYSTEM_DATABASES.includes(v)
            ? `${v} is a PostgreSQL system database (${SYSTEM_DATABASES.join(", ")} are refused); restore into a new name such as ${dbName}_restored`
            : undefined;
    });
    const restoreRequested = restoreName !== undefined || restoreWindow !== undefined;
    if (restoreName !== undefined && restoreWindow !== undefined) {
        r.problems.push(`${project}:restoreBackupName and restoreWindow are both set: set one of them`);
    }
    if (restoreRequested && !enabled) {
        r.problems.push(
            `${project}:${restoreName !== undefined ? "restoreBackupName" : "restoreWindow"} is set but this stack has no backups${isCanary ? " (the canary shares production's: restore from the production stack)" : " (backupEnabled is false)"}`,
        );
    }
    // Refused even without a restore request: the next request would otherwise pick it up.
    if (restoreTarget === dbName) {
        r.problems.push(
            `${project}:restoreTargetDb = "${restoreTarget}": the restore Job never replaces the live database; restore into another name and switch over (docs/backups.md)`,
        );
    }

    // A schedule that is set is checked even while backups are off: it is what turning them on would run.
    const schedule = enabled || r.raw("backupSchedule") !== undefined ? r.string("backupSchedule", d.schedule, checkCron) : "";

    // The jobs' own database roles: read-only for backup, CREATEDB for restore; never the app's user.
    const roleName = (key: string) =>
        r.string(key, undefined, (v) => {
            if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v)) return "a lower-case PostgreSQL identifier is expected";
            return v === appUser
                ? `the application's user (dbUser) is refused: the backup jobs use their own roles (docs/backups.md)`
                : undefined;
        });
    const backupUser = roleName("backupDbUser");
    const restoreUser = roleName("restoreDbUser");
    if (backupUser === restoreUser) {
        r.problems.push(
            `${project}:backupDbUser and restoreDbUser are both "${backupUser}": the read-only backup role and the restore role must differ`,
        );
    }
    const backupPassword = r.secret("backupDbPassword");
    const restorePassword = r.secret("restoreDbPassword");
    // The stack's own database (dbInCluster) creates the roles itself, with generated passwords
    // unless these are set; an external database's DBA creates them and hands the passwords over.
    if (enabled && !dbInCluster) {
        for (const [key, value, user] of [
            ["backupDbPassword", backupPassword, backupUser],
            ["restoreDbPassword", restorePassword, restoreUser],
        ] as const) {
            if (value === undefined) {
                r.problems.push(
                    `${project}:${key} is not set: the ${key.startsWith("backup") ? "backup" : "restore"} jobs log in as "${user}"; create the role (docs/backups.md) and set \`pulumi config set --secret ${key} <password>\``,
                );
            }
        }
    }

    return {
        enabled,
        servedBy: enabled ? undefined : env.backup === undefined ? "the production stack" : "none (backupEnabled is false)",
        schedule: enabled ? schedule : "",
        timeZone: r.string("backupTimeZone", undefined, checkTimeZone),
        retentionDays,
        concurrency: r.integer("backupConcurrency", d.concurrency),
        replayWindow: r.parsed("backupReplayWindow", undefined, windowParser(retentionDays)).text,
        restore: restoreRequested ? { backupName: restoreName, window: restoreWindow, targetDatabase: restoreTarget } : undefined,
        restoreScratchSize: r.parsed("restoreScratchSize", undefined, parseScratchSize).text,
        encryption: r.oneOf<"kms" | "s3">("backupEncryption"),
        objectLockDays,
        accessLogging: r.boolean("backupAccessLogging"),
        image: r.string("backupImage", undefined, checkImage),
        prefix: BACKUP_PREFIX,
        roles: { backupUser, restoreUser, backupPassword, restorePassword },
    };
}
