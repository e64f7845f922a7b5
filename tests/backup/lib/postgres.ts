// A real, throw-away PostgreSQL server (Debian's postgresql package) for the backup tests and the
// benchmark: initdb into a temp dir, listen on a free loopback port with password (SCRAM) auth, and
// stop/start on demand so fault tests can take it away mid-dump.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireTool } from "../../lib/tools";
import { freePort } from "./ports";

const INSTALL_HINT = "apt-get install postgresql (listed in .ci/apt/backup.txt)";

/** Newest /usr/lib/postgresql/<major>/bin that has initdb (Debian installs server binaries there). */
function serverBinDir(): string {
    const root = "/usr/lib/postgresql";
    const majors = fs.existsSync(root)
        ? fs
              .readdirSync(root)
              .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
              .sort((a, b) => Number(b) - Number(a))
        : [];
    const initdb = requireTool(
        "initdb",
        INSTALL_HINT,
        majors.map((v) => path.join(root, v, "bin")),
    );
    return path.dirname(initdb);
}

export interface PgOptions {
    /** Extra postgresql.conf lines (the benchmark raises memory settings). */
    extraConf?: string[];
}

export class PgServer {
    readonly user = "kline_admin";
    readonly password = crypto.randomBytes(18).toString("base64url");
    readonly host = "127.0.0.1";
    port = 0;
    readonly dir: string;
    private readonly bin: string;
    /** initdb and the server refuse to run as root: run them as the Debian `postgres` user then. */
    private readonly asUser: string[];

    private constructor(private readonly opts: PgOptions) {
        this.bin = serverBinDir();
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-pg-"));
        this.asUser = process.getuid?.() === 0 ? [requireTool("runuser", "apt-get install util-linux"), "-u", "postgres", "--"] : [];
    }

    static async create(opts: PgOptions = {}): Promise<PgServer> {
        const pg = new PgServer(opts);
        pg.port = await freePort();
        pg.init();
        pg.start();
        return pg;
    }

    private get dataDir(): string {
        return path.join(this.dir, "data");
    }

    private exec(tool: string, args: string[]): string {
        const [cmd, ...pre] = this.asUser.length ? this.asUser : [path.join(this.bin, tool)];
        const argv = this.asUser.length ? [...pre, path.join(this.bin, tool), ...args] : args;
        try {
            return execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: this.dir });
        } catch (err: any) {
            throw new Error(`${tool} ${args.join(" ")} failed: ${err.stderr ?? ""}${err.stdout ?? ""}${this.logTail()}`);
        }
    }

    private init(): void {
        if (this.asUser.length) {
            const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
            const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
            fs.chownSync(this.dir, uid, gid);
        }
        fs.chmodSync(this.dir, 0o700);
        const pwfile = path.join(this.dir, "pw");
        fs.writeFileSync(pwfile, this.password + "\n", { mode: 0o600 });
        if (this.asUser.length) execFileSync("chown", ["postgres", pwfile]);
        this.exec("initdb", [
            "-D",
            this.dataDir,
            "-U",
            this.user,
            `--pwfile=${pwfile}`,
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        fs.rmSync(pwfile);
        // Durability is irrelevant for a test server; speed is not.
        const conf = [
            `listen_addresses = '${this.host}'`,
            `port = ${this.port}`,
            `unix_socket_directories = '${this.dir}'`,
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "wal_level = minimal",
            "max_wal_senders = 0",
            "max_wal_size = 4GB",
            "shared_buffers = 256MB",
            "maintenance_work_mem = 256MB",
            "log_min_messages = warning",
            ...(this.opts.extraConf ?? []),
        ];
        fs.appendFileSync(path.join(this.dataDir, "postgresql.conf"), "\n" + conf.join("\n") + "\n");
    }

    start(): void {
        this.exec("pg_ctl", ["-D", this.dataDir, "-l", path.join(this.dir, "server.log"), "-w", "-t", "60", "start"]);
    }

    /** `fast` disconnects sessions cleanly; `immediate` aborts like a crash. */
    stop(mode: "fast" | "immediate" = "fast"): void {
        this.exec("pg_ctl", ["-D", this.dataDir, "-w", "-t", "60", "-m", mode, "stop"]);
    }

    isRunning(): boolean {
        try {
            this.exec("pg_ctl", ["-D", this.dataDir, "status"]);
            return true;
        } catch {
            return false;
        }
    }

    logTail(): string {
        try {
            const log = fs.readFileSync(path.join(this.dir, "server.log"), "utf8");
            return "\n--- server.log (tail) ---\n" + log.split("\n").slice(-15).join("\n");
        } catch {
            return "";
        }
    }

    /** libpq environment for the client tools (and the script under test). */
    env(database: string): Record<string, string> {
        return { PGHOST: this.host, PGPORT: String(this.port), PGUSER: this.user, PGPASSWORD: this.password, PGDATABASE: database };
    }

    /** Runs SQL through psql (ON_ERROR_STOP) and returns unaligned, tuples-only output. */
    psql(database: string, sql: string): string {
        try {
            return execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", "-"], {
                input: sql,
                encoding: "utf8",
                maxBuffer: 256 * 1024 * 1024,
                env: { ...process.env, ...this.env(database) },
                stdio: ["pipe", "pipe", "pipe"],
            });
        } catch (err: any) {
            throw new Error(`psql on ${database} failed: ${err.stderr ?? err.message}`);
        }
    }

    /**
     * Runs a psql script file as the administrator: `vars` as psql variables (-v), `env` added to the
     * environment (where scripts/db-roles.sql reads passwords). Returns stdout; throws with stderr.
     */
    psqlFile(database: string, file: string, vars: Record<string, string>, env: Record<string, string> = {}): string {
        const args = ["-X", "-q", "-At", "-d", database, ...Object.entries(vars).flatMap(([k, v]) => ["-v", `${k}=${v}`]), "-f", file];
        try {
            return execFileSync("psql", args, {
                encoding: "utf8",
                env: { ...process.env, ...this.env(database), ...env },
                stdio: ["ignore", "pipe", "pipe"],
            });
        } catch (err: any) {
            throw new Error(`psql -f ${file} on ${database} failed: ${err.stderr ?? err.message}`);
        }
    }

    databases(): string[] {
        return this.psql("postgres", "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1").trim().split("\n");
    }

    destroy(): void {
        try {
            if (this.isRunning()) this.stop("immediate");
        } finally {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}
