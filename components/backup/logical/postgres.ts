// PostgreSQL through its own client tools (libpq: the same connection settings, TLS and password
// handling as pg_dump and pg_restore). Every tool runs from an argument array, never a shell; names
// and values reach SQL as psql variables (:"ident" and :'literal'), quoted by psql itself.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import { BackupError, EXIT } from "./errors";
import { Env, PgSettings } from "./settings";

export interface Ran {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a tool with `input` on stdin and collects its output. */
export function run(tool: string, args: string[], env: Env, input = ""): Promise<Ran> {
    return new Promise((resolve, reject) => {
        const child = spawn(tool, args, { env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.on("error", () => undefined); // a tool that exits early closes its stdin
        child.stdin.end(input);
    });
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 800);

/**
 * The tables pg_dump dumps data for, each with its exact row count. FROM ONLY: pg_dump copies each
 * inheritance child separately. Extension-owned tables are left out, as pg_dump leaves out their data.
 */
export const COUNTS_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS tbl,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname),
                                            false, true, '')))[1]::text::bigint AS n
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;
export const COUNTS_JSON_SQL = `SELECT coalesce(json_object_agg(tbl, n ORDER BY tbl), '{}') FROM (${COUNTS_SQL}) t`;

export class Postgres {
    constructor(
        readonly s: PgSettings,
        private readonly env: Env,
    ) {}

    psqlArgs(db: string, vars: Record<string, string> = {}): string[] {
        const v = Object.entries(vars).flatMap(([k, val]) => ["-v", `${k}=${val}`]);
        return ["-X", "-w", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", ...v, `--dbname=${db}`, "-f", "-"];
    }

    /** Runs SQL (psql variables from `vars`); returns stdout, throws `what` with psql's message. */
    async sql(db: string, sql: string, vars: Record<string, string> = {}, what = `SQL on "${db}"`): Promise<string> {
        const r = await run("psql", this.psqlArgs(db, vars), this.env, sql);
        if (r.code !== 0) throw new BackupError(EXIT.fail, `${what} failed: ${oneLine(r.stderr)}`);
        return r.stdout;
    }

    admin(sql: string, vars: Record<string, string> = {}, what?: string): Promise<string> {
        return this.sql(this.s.adminDb, sql, vars, what);
    }

    /** Fails with libpq's own message (bad password, unreachable host, missing database). */
    async check(db: string): Promise<void> {
        const r = await run("psql", this.psqlArgs(db), this.env, "SELECT 1;");
        if (r.code !== 0) {
            throw new BackupError(
                EXIT.fail,
                `cannot connect to PostgreSQL database "${db}" (host ${this.s.host}, port ${this.s.port}, user ${this.s.user}): ${oneLine(r.stderr)}`,
                "check PGHOST/PGPORT/PGUSER/PGPASSWORD (the backup and restore roles: docs/backups.md)",
            );
        }
    }

    async exists(db: string): Promise<boolean> {
        const out = await this.admin(
            "SELECT 1 FROM pg_database WHERE datname = :'db';",
            { db },
            `looking up database "${db}" through "${this.s.adminDb}"`,
        );
        return out.trim() === "1";
    }

    /** Relations outside the system schemas. */
    async relationCount(db: string): Promise<number> {
        const out = await this.sql(
            db,
            `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
                AND n.nspname NOT LIKE 'pg\\_temp%';`,
            {},
            `inspecting database "${db}"`,
        );
        return Number(out.trim());
    }

    async rowCounts(db: string): Promise<Record<string, number>> {
        const out = await this.sql(db, `SET row_security = off;\n${COUNTS_JSON_SQL};`, {}, `counting rows in "${db}"`);
        return JSON.parse(out.trim());
    }

    /** pg_control_system().system_identifier of the server: unique per cluster. */
    async systemIdentifier(db: string): Promise<string> {
        const out = await this.sql(db, "SELECT system_identifier FROM pg_control_system();", {}, "reading the server's system identifier");
        return out.trim();
    }
}

/**
 * One session held open for the whole backup: it exports the snapshot pg_dump uses and later counts
 * rows in that same snapshot, so writes during the backup cannot make a correct restore look wrong.
 */
export class SnapshotSession {
    private out = "";
    private err = "";
    private exited: Promise<number | null>;

    private constructor(private readonly child: ChildProcess) {
        child.stdout!.on("data", (d) => (this.out += d));
        child.stderr!.on("data", (d) => (this.err += d));
        child.stdin!.on("error", () => undefined);
        this.exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
    }

    static async open(pg: Postgres, env: Env): Promise<{ session: SnapshotSession; info: SnapshotInfo }> {
        const child = spawn("psql", pg.psqlArgs(pg.s.database), { env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
        const session = new SnapshotSession(child);
        const row = await session.query(
            `SET statement_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT pg_export_snapshot(), current_setting('server_version'), current_setting('server_version_num'),
       pg_encoding_to_char(d.encoding), pg_database_size(d.datname), (SELECT system_identifier FROM pg_control_system()),
       pg_get_userbyid(d.datdba)
  FROM pg_database d WHERE d.datname = current_database();`,
            `cannot connect to PostgreSQL database "${pg.s.database}" (host ${pg.s.host}, port ${pg.s.port}, user ${pg.s.user}) or open a snapshot there`,
        );
        const [snapshot, serverVersion, serverVersionNum, encoding, size, systemIdentifier, owner] = row.trim().split("\t");
        return {
            session,
            info: {
                snapshot,
                owner,
                serverVersion,
                serverVersionNum: Number(serverVersionNum),
                encoding,
                sizeBytes: Number(size),
                systemIdentifier,
            },
        };
    }

    /** Sends SQL and resolves with its output, up to a marker echoed after it. */
    query(sql: string, what: string): Promise<string> {
        const marker = `--kline-backup-${crypto.randomBytes(8).toString("hex")}--`;
        const start = this.out.length;
        this.child.stdin!.write(`${sql}\n\\echo ${marker}\n`);
        return new Promise((resolve, reject) => {
            const check = () => {
                const at = this.out.indexOf(`${marker}\n`, start);
                if (at >= 0) {
                    this.child.stdout!.off("data", check);
                    resolve(this.out.slice(start, at));
                }
            };
            this.child.stdout!.on("data", check);
            check();
            void this.exited.then((code) => {
                this.child.stdout!.off("data", check);
                reject(new BackupError(EXIT.fail, `${what}: ${oneLine(this.err) || `psql exited ${code}`}`));
            });
        });
    }

    async close(): Promise<void> {
        this.child.stdin!.end("COMMIT;\n\\q\n");
        await this.exited;
    }

    kill(): void {
        if (this.child.exitCode === null) this.child.kill("SIGTERM");
    }
}

export interface SnapshotInfo {
    snapshot: string;
    serverVersion: string;
    serverVersionNum: number;
    encoding: string;
    sizeBytes: number;
    systemIdentifier: string;
    /** The database's owner role. */
    owner: string;
}
