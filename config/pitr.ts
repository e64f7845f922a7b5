// Point-in-time recovery of the database a stack runs itself (dbInCluster): pgBackRest archives WAL
// continuously and takes full and incremental backups under its own prefix of the backup bucket.
// Read by config/index.ts with its Reader, so problems land in the same ConfigError.
import type { Reader } from "./reader";
import { BackupConfig, PitrConfig } from "./types";
import { Parsed, bounded, parseDuration, showSeconds } from "./validate";

/**
 * The in-cluster PostgreSQL image: the official PostgreSQL 15.10 image (Debian bookworm) with
 * Debian's pgBackRest 2.45-1 and busybox (its httpd serves the backup metrics). Built from
 * images/postgres/Dockerfile; the tag names both versions.
 */
// renovate: image versioning=loose
export const DEFAULT_POSTGRES_IMAGE = "ghcr.io/stocksanalyses/kline-postgres:15.10-2.45";
/** postgres_exporter (pg_stat_archiver_* series), pinned. */
// renovate: image
export const POSTGRES_EXPORTER_IMAGE = "quay.io/prometheuscommunity/postgres-exporter:v0.17.1";
/** Key prefix of the pgBackRest repository in the backup bucket (the logical dumps live under backups/). */
export const PITR_PREFIX = "pgbackrest/";
/** pgBackRest stanza: the name of this database cluster in the repository. */
export const PITR_STANZA = "kline";
/** archive_timeout: a WAL segment is switched and archived at least this often while anything writes. */
export const ARCHIVE_TIMEOUT_SECONDS = 60;
/** How often the repository is verified (`pgbackrest verify` reads every stored file: weekly), in seconds. */
export const VERIFY_EVERY_SECONDS = 7 * 86400;

const HOUR = 3600;
const DAY = 86400;

/** RFC 3339 instant with a zone, at most microseconds (PostgreSQL's precision). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2}):(\d{2}))$/;

export interface RestoreInstant {
    /** The instant as given. */
    text: string;
    /** Milliseconds since the epoch (sub-millisecond digits are kept in `postgres`). */
    epochMs: number;
    /** The same instant in UTC as PostgreSQL and pgBackRest take it: `2026-12-02 14:25:00.123456+00`. */
    postgres: string;
    /** A DNS-label fragment naming the instant in UTC: `20261202t142500z`, `20261202t142500-123456z`. */
    slug: string;
}

/** Parses an RFC 3339 instant (`2026-12-02T14:25:00Z`, `2026-12-02T16:25:00.5+02:00`). */
export function parseRestoreInstant(text: string): Parsed<RestoreInstant> {
    const m = RFC3339.exec(text);
    const example = "an RFC 3339 instant with a zone such as 2026-12-02T14:25:00Z or 2026-12-02T16:25:00+02:00 is expected";
    if (!m) return { ok: false, reason: example };
    const [, y, mo, d, h, mi, s, frac = "", zone, zh, zm] = m;
    const n = (v: string) => Number(v);
    const daysInMonth = new Date(Date.UTC(n(y), n(mo), 0)).getUTCDate();
    if (n(mo) < 1 || n(mo) > 12 || n(d) < 1 || n(d) > daysInMonth || n(h) > 23 || n(mi) > 59 || n(s) > 59) {
        return { ok: false, reason: `${text} is not a real date and time (${example.replace("an RFC", "RFC")})` };
    }
    if (zone !== "Z" && (n(zh) > 23 || n(zm) > 59)) return { ok: false, reason: `the zone offset ${zone} is not valid` };
    const offsetMin = zone === "Z" ? 0 : (zone.startsWith("-") ? -1 : 1) * (n(zh) * 60 + n(zm));
    const wholeMs = Date.UTC(n(y), n(mo) - 1, n(d), n(h), n(mi), n(s)) - offsetMin * 60_000;
    const micros = frac === "" ? "" : frac.slice(1).padEnd(6, "0");
    const utc = new Date(wholeMs).toISOString(); // 2026-12-02T14:25:00.000Z
    const date = utc.slice(0, 10);
    const time = utc.slice(11, 19);
    const fraction = micros.replace(/0+$/, "");
    return {
        ok: true,
        value: {
            text,
            epochMs: wholeMs + (micros === "" ? 0 : Math.floor(Number(micros) / 1000)),
            postgres: `${date} ${time}${fraction ? "." + fraction : ""}+00`,
            slug: `${date.replace(/-/g, "")}t${time.replace(/:/g, "")}${fraction ? "-" + fraction : ""}z`,
        },
    };
}

/**
 * The PITR settings, or undefined when the stack runs no database of its own or no backups (then
 * any PITR key that is set is refused, naming why).
 * @param now milliseconds since the epoch: a restore target may not lie in the future.
 */
export function readPitrConfig(
    r: Reader,
    project: string,
    dbInCluster: boolean,
    isCanary: boolean,
    backup: BackupConfig,
    now: number = Date.now(),
): PitrConfig | undefined {
    const retentionSeconds = backup.retentionDays * DAY;
    const full = r.parsed("pitrFullBackupEvery", "7d", bounded(parseDuration, DAY, 30 * DAY, showSeconds));
    const incrementalMax = Math.min(full.value ?? 30 * DAY, 30 * DAY);
    const incremental = r.parsed("pitrIncrementalBackupEvery", "1d", bounded(parseDuration, HOUR, incrementalMax, showSeconds));
    const targetText = r.raw("pitrRestoreTarget");
    let target: RestoreInstant | undefined;
    if (targetText !== undefined) {
        const fail = (reason: string) => r.problems.push(`${project}:pitrRestoreTarget = ${JSON.stringify(targetText)}: ${reason}`);
        const parsed = parseRestoreInstant(targetText);
        if (!parsed.ok) fail(parsed.reason);
        else if (parsed.value.epochMs > now) {
            fail(`the instant lies in the future (now is ${new Date(now).toISOString()}); WAL can only be replayed up to the present`);
        } else if (parsed.value.epochMs < now - retentionSeconds * 1000) {
            fail(
                `the instant is older than backupRetentionDays (${backup.retentionDays} days), the oldest point the window is kept for; ` +
                    "`scripts/pitr.sh window` shows the exact window",
            );
        } else target = parsed.value;
    }

    const enabled = dbInCluster && backup.enabled && !isCanary;
    if (!enabled) {
        const why = isCanary
            ? "the canary runs no database of its own (restore from the production stack)"
            : !dbInCluster
              ? "point-in-time recovery covers the database a stack runs itself (dbInCluster = true); an external database uses its provider's PITR"
              : "backups are off (backupEnabled is false)";
        for (const key of ["pitrFullBackupEvery", "pitrIncrementalBackupEvery", "pitrRestoreTarget"]) {
            if (r.raw(key) !== undefined) r.problems.push(`${project}:${key} is set, but ${why}; remove the key`);
        }
        return undefined;
    }
    return {
        prefix: PITR_PREFIX,
        stanza: PITR_STANZA,
        archiveTimeoutSeconds: ARCHIVE_TIMEOUT_SECONDS,
        fullEverySeconds: full.value ?? 7 * DAY,
        incrementalEverySeconds: incremental.value ?? DAY,
        verifyEverySeconds: VERIFY_EVERY_SECONDS,
        retentionDays: backup.retentionDays,
        exporterImage: POSTGRES_EXPORTER_IMAGE,
        restoreTarget: target,
    };
}
