// The program's settings from its environment (see --help), each checked against the limits shared
// with config/ (contract/backup.ts). Every problem of one group is reported at once.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_NAME_PREFIX, LIMITS, NAME_PREFIX_PATTERN } from "../../../contract/backup";
import { checkDatabaseName } from "./args";
import { BackupError, EXIT } from "./errors";

export type Env = Record<string, string | undefined>;

export interface CommonSettings {
    /** Existing writable directory the run makes its private scratch directory in. */
    workRoot: string;
    /**
     * The most this run may write under workRoot (BACKUP_WORK_DIR_LIMIT; in the restore pod the emptyDir's
     * sizeLimit, which the free space of the file system does not show). Undefined: the free space only.
     */
    workLimitBytes?: number;
    concurrency: number;
    zstdLevel: number;
    namePrefix: string;
}

export interface S3Settings {
    bucket: string;
    /** "" or ending in "/". */
    prefix: string;
    region: string;
    endpoint?: string;
}

export interface PgSettings {
    database: string;
    adminDb: string;
    /** For messages and the recorded source identity. */
    host: string;
    port: number;
    user: string;
    lockWaitSeconds: number;
}

export interface LockSettings {
    ttlSeconds: number;
    owner: string;
}

/** Collects problems of one settings group; `done()` throws them together as one usage error. */
class Problems {
    readonly list: string[] = [];
    add(p: string): void {
        this.list.push(p);
    }
    done(): void {
        if (this.list.length) throw new BackupError(EXIT.usage, this.list.join("\n"));
    }
}

function integer(env: Env, key: string, fallback: number, min: number, max: number, p: Problems, unit = ""): number {
    const raw = env[key];
    if (raw === undefined || raw === "") return fallback;
    const n = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= min && n <= max)) {
        p.add(`${key}='${raw}' is invalid; use an integer from ${min} to ${max}${unit}`);
        return fallback;
    }
    return n;
}

const SIZE_UNITS: Record<string, number> = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A size in bytes, or with a Kubernetes binary suffix (Ki, Mi, Gi, Ti): `20Gi`; at least 1Mi. */
function sizeSetting(env: Env, key: string, p: Problems): number | undefined {
    const raw = env[key];
    if (raw === undefined || raw === "") return undefined;
    const m = /^(\d{1,13})(Ki|Mi|Gi|Ti)?$/.exec(raw);
    const n = m ? Number(m[1]) * SIZE_UNITS[m[2] ?? ""] : NaN;
    if (!(n >= 1024 ** 2 && n <= 1024 ** 5)) {
        p.add(`${key}='${raw}' is invalid; use a size from 1Mi to 1024Ti in bytes or with Ki, Mi, Gi or Ti, e.g. 20Gi`);
        return undefined;
    }
    return n;
}

export function commonSettings(env: Env): CommonSettings {
    const p = new Problems();
    const workRoot = env.BACKUP_WORK_DIR || env.TMPDIR || os.tmpdir();
    let writable = false;
    try {
        writable = fs.statSync(workRoot).isDirectory();
        fs.accessSync(workRoot, fs.constants.W_OK);
    } catch {
        writable = false;
    }
    if (!writable) {
        p.add(`BACKUP_WORK_DIR '${workRoot}' is not a writable directory; point BACKUP_WORK_DIR at one (in the pod: the /tmp emptyDir)`);
    }
    const workLimitBytes = sizeSetting(env, "BACKUP_WORK_DIR_LIMIT", p);
    const concurrency = integer(env, "BACKUP_CONCURRENCY", 3, LIMITS.concurrency.min, LIMITS.concurrency.max, p);
    const zstdLevel = integer(env, "BACKUP_ZSTD_LEVEL", 1, LIMITS.zstdLevel.min, LIMITS.zstdLevel.max, p);
    const namePrefix = env.BACKUP_NAME_PREFIX || DEFAULT_NAME_PREFIX;
    if (!NAME_PREFIX_PATTERN.test(namePrefix)) {
        p.add(
            `BACKUP_NAME_PREFIX='${namePrefix}' is invalid; use letters, digits, '_' or '-' (at most 64, starting with a letter or digit)`,
        );
    }
    p.done();
    return { workRoot: path.resolve(workRoot), workLimitBytes, concurrency, zstdLevel, namePrefix };
}

export function s3Settings(env: Env): S3Settings {
    const p = new Problems();
    const bucket = env.BACKUP_S3_BUCKET ?? "";
    if (bucket === "") p.add("BACKUP_S3_BUCKET is not set; export BACKUP_S3_BUCKET=<bucket name>");
    else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
        p.add(`BACKUP_S3_BUCKET='${bucket}' is not a valid bucket name (3-63 of a-z 0-9 . -)`);
    }
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || "";
    if (region === "") p.add("AWS_REGION is not set; export AWS_REGION=<bucket region>, e.g. us-west-2");
    let prefix = (env.BACKUP_S3_PREFIX ?? "backups/").replace(/^\//, "");
    if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
    if (!/^[A-Za-z0-9._/-]*$/.test(prefix) || prefix.includes("//")) {
        p.add(`BACKUP_S3_PREFIX='${env.BACKUP_S3_PREFIX}' is invalid; use letters, digits, '.', '_', '-' and single '/'`);
    }
    const endpoint = env.BACKUP_S3_ENDPOINT || undefined;
    if (endpoint !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(endpoint)) {
        p.add(`BACKUP_S3_ENDPOINT='${endpoint}' is not an http(s) URL`);
    }
    p.done();
    return { bucket, prefix, region, endpoint };
}

export function pgSettings(env: Env): PgSettings {
    const p = new Problems();
    const database = env.PGDATABASE ?? "";
    const check = (what: string, name: string) => {
        try {
            checkDatabaseName(what, name);
        } catch (err) {
            p.add((err as Error).message);
        }
    };
    if (database === "") p.add("PGDATABASE is not set; export PGDATABASE=<database to back up / restore>");
    else check("PGDATABASE", database);
    const adminDb = env.BACKUP_ADMIN_DB || "postgres";
    check("BACKUP_ADMIN_DB", adminDb);
    const port = integer(env, "PGPORT", 5432, 1, 65535, p);
    const lockWait = env.BACKUP_PG_LOCK_WAIT_TIMEOUT;
    let lockWaitSeconds: number = LIMITS.pgLockWaitSeconds.default;
    if (lockWait !== undefined && lockWait !== "") {
        const m = /^(\d{1,9})(s|m|h)?$/.exec(lockWait);
        const s = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s"] : NaN;
        if (!(s >= LIMITS.pgLockWaitSeconds.min && s <= LIMITS.pgLockWaitSeconds.max)) {
            p.add(`BACKUP_PG_LOCK_WAIT_TIMEOUT='${lockWait}' is invalid; use 1s to 24h, e.g. 300s or 5m`);
        } else lockWaitSeconds = s;
    }
    p.done();
    return {
        database,
        adminDb,
        host: env.PGHOST || "local socket",
        port,
        user: env.PGUSER || os.userInfo().username,
        lockWaitSeconds,
    };
}

export function lockSettings(env: Env): LockSettings {
    const p = new Problems();
    const t = LIMITS.lockTtlSeconds;
    const ttlSeconds = integer(env, "BACKUP_LOCK_TTL", t.default, t.min, t.max, p, " (seconds)");
    const owner = env.BACKUP_LOCK_OWNER || `${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    if (!/^[A-Za-z0-9._:-]{1,200}$/.test(owner)) {
        p.add(`BACKUP_LOCK_OWNER='${owner}' is invalid; use letters, digits, '.', '_', ':', '-'`);
    }
    p.done();
    return { ttlSeconds, owner };
}

/** The external tools a command needs, looked up on PATH, with the package that provides them. */
export function requireTools(env: Env, tools: Array<[string, string]>): Record<string, string> {
    const found: Record<string, string> = {};
    const missing: string[] = [];
    for (const [tool, install] of tools) {
        const hit = (env.PATH ?? "")
            .split(path.delimiter)
            .filter((d) => d)
            .map((d) => path.join(d, tool))
            .find((f) => {
                try {
                    fs.accessSync(f, fs.constants.X_OK);
                    return fs.statSync(f).isFile();
                } catch {
                    return false;
                }
            });
        if (hit) found[tool] = hit;
        else missing.push(`required tool '${tool}' not found on PATH; install ${install}`);
    }
    if (missing.length) throw new BackupError(EXIT.usage, missing.join("\n"));
    return found;
}

export const PG_CLIENT = "the PostgreSQL client (Debian: postgresql-client)";
