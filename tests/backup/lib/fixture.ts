// One real PostgreSQL + one real MinIO + a seeded database, shared by the backup integration tests.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MinioServer } from "./minio";
import { PgServer } from "./postgres";
import * as crypto from "crypto";
import { buildProgram } from "./program";
import { RunningScript, ScriptResult, runScript, show, startScript } from "./run-script";
import { checksumSql, seedSql } from "./seed";
import { DB_ROLES_SQL_PATH } from "../../../components/app/db-roles";

export const BUCKET = "kline-backups-test";
export const PREFIX = "backups/kline-analytics/";
export const SOURCE_DB = "kline";
export const BACKUP_NAME_RE = /^kline_analytics_backup_\d{8}_\d{6}\.dump\.zst$/;
/** The application's role: it owns the database and its tables. */
export const APP_ROLE = "kline_app";

/**
 * Creates (or updates) the read-only backup role and the restore role with scripts/db-roles.sql, the
 * script a DBA runs (docs/backups.md) and the in-cluster database runs after every start: role names
 * as psql variables, passwords from the environment.
 */
export function applyRoles(pg: PgServer, backupPassword: string, restorePassword: string): string {
    return pg.psqlFile(
        "postgres",
        DB_ROLES_SQL_PATH,
        { backup_user: "kline_backup", restore_user: "kline_restore", app_user: APP_ROLE },
        { BACKUP_DB_PASSWORD: backupPassword, RESTORE_DB_PASSWORD: restorePassword },
    );
}

/** Creates the app role and a database it owns, seeded as that role (so the tables are the app's). */
export function createAppDatabase(pg: PgServer, db: string, scale: number): void {
    pg.psql("postgres", `DO $$ BEGIN CREATE ROLE ${APP_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;`);
    pg.psql("postgres", `CREATE DATABASE ${db} OWNER ${APP_ROLE}`);
    pg.psql(db, `SET ROLE ${APP_ROLE};\n${seedSql(scale)}`);
}

/** Starts PostgreSQL and MinIO side by side; if either fails, the other is stopped again. */
export async function startServers(): Promise<{ pg: PgServer; s3: MinioServer }> {
    const [pg, s3] = await Promise.allSettled([PgServer.create(), MinioServer.create()]);
    if (pg.status === "fulfilled" && s3.status === "fulfilled") return { pg: pg.value, s3: s3.value };
    if (pg.status === "fulfilled") pg.value.destroy();
    if (s3.status === "fulfilled") await s3.value.destroy();
    throw pg.status === "rejected" ? pg.reason : (s3 as PromiseRejectedResult).reason;
}

export class BackupFixture {
    readonly home = fs.mkdtempSync(path.join(os.tmpdir(), "kline-backup-home-"));
    readonly program = buildProgram();
    readonly backupPassword = crypto.randomBytes(12).toString("hex");
    readonly restorePassword = crypto.randomBytes(12).toString("hex");

    private constructor(
        readonly pg: PgServer,
        readonly s3: MinioServer,
    ) {}

    static async create(): Promise<BackupFixture> {
        const { pg, s3 } = await startServers();
        const fx = new BackupFixture(pg, s3);
        try {
            await fx.s3.client.createBucket(BUCKET);
            createAppDatabase(fx.pg, SOURCE_DB, 1);
            applyRoles(fx.pg, fx.backupPassword, fx.restorePassword);
        } catch (err) {
            await fx.destroy();
            throw err;
        }
        return fx;
    }

    /**
     * The script's environment: everything explicit, HOME without an AWS config of its own; `backup`
     * runs as the read-only backup role, every other command as the restore role (as in the pods).
     */
    env(args: string[], extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
        const role =
            args[0] === "backup"
                ? { PGUSER: "kline_backup", PGPASSWORD: this.backupPassword }
                : { PGUSER: "kline_restore", PGPASSWORD: this.restorePassword };
        return {
            ...this.pg.env(SOURCE_DB),
            ...role,
            ...this.s3.env(),
            HOME: this.home,
            BACKUP_S3_BUCKET: BUCKET,
            BACKUP_S3_PREFIX: PREFIX,
            BACKUP_WORK_DIR: this.home,
            BACKUP_PROGRAM: this.program,
            ...extra,
        };
    }

    run(args: string[], extra: Record<string, string | undefined> = {}): Promise<ScriptResult> {
        return runScript(args, this.env(args, extra), this.home);
    }

    start(args: string[], extra: Record<string, string | undefined> = {}): RunningScript {
        return startScript(args, this.env(args, extra), this.home);
    }

    /** Runs the script and fails with its whole output unless it exits 0. */
    async ok(args: string[], extra: Record<string, string | undefined> = {}): Promise<ScriptResult> {
        const r = await this.run(args, extra);
        if (r.code !== 0) throw new Error(`backup-restore.sh ${args.join(" ")} failed:\n${show(r)}`);
        return r;
    }

    /** Names printed by `list` (first column, header skipped). */
    static listedNames(r: ScriptResult): string[] {
        return r.stdout
            .trim()
            .split("\n")
            .slice(1)
            .map((l) => l.split(/\s+/)[0])
            .filter((n) => n);
    }

    /** table -> "rows:md5" for every seeded table plus the sequences. */
    checksums(db: string): Record<string, string> {
        const out: Record<string, string> = {};
        for (const line of this.pg.psql(db, checksumSql()).trim().split("\n")) {
            const [tbl, n, sum] = line.split("|");
            out[tbl] = `${n}:${sum}`;
        }
        return out;
    }

    /** Schema as pg_dump prints it (no data), for comparing a restored database with its source. */
    schema(db: string): string {
        const dump = execFileSync("pg_dump", ["--schema-only", "-d", db], {
            encoding: "utf8",
            env: { ...process.env, ...this.pg.env(db) },
        });
        // pg_dump >= 15.14 brackets its output with \restrict/\unrestrict and a random key per run.
        return dump.replace(/^\\(un)?restrict .*$/gm, "");
    }

    /** A stored object's bytes. */
    get(name: string): Promise<Buffer> {
        return this.s3.client.get(BUCKET, PREFIX + name);
    }

    /** Replaces a stored object (as a faulty disk, a bad copy or a person might). */
    put(name: string, body: Buffer): Promise<void> {
        return this.s3.client.put(BUCKET, PREFIX + name, body);
    }

    /** The newest generation of the S3 lock (owner, state, expires, at) and how many there are. */
    async lock(prefix = PREFIX): Promise<{ owner: string; state: string; expires: number; generations: number }> {
        const keys = (await this.s3.keys(BUCKET, `${prefix}.locks/`)).filter((k) => /\.lock\.\d{12}$/.test(k));
        if (!keys.length) throw new Error(`no lock generation under ${prefix}.locks/`);
        const newest = JSON.parse((await this.s3.client.get(BUCKET, keys[keys.length - 1])).toString());
        return { ...newest, generations: keys.length };
    }

    /** Every key under the prefix, relative to it (sorted); lock generations only when asked. */
    async keys(withLocks = false): Promise<string[]> {
        return (await this.s3.keys(BUCKET, PREFIX)).map((k) => k.slice(PREFIX.length)).filter((k) => withLocks || !k.startsWith(".locks/"));
    }

    async dumpObjects(): Promise<string[]> {
        return (await this.keys()).filter((k) => k.endsWith(".dump.zst"));
    }

    async destroy(): Promise<void> {
        try {
            await this.s3.destroy();
        } finally {
            this.pg.destroy();
            fs.rmSync(this.home, { recursive: true, force: true });
        }
    }
}
