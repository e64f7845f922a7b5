// scripts/db-roles.sql (the SQL docs/backups.md gives a DBA) and the postStart hook that runs it in the
// in-cluster PostgreSQL, against a real PostgreSQL server (Debian package) on loopback: the roles get
// exactly their rights, a second run on the same data updates passwords, the hook waits for a server
// that is not up yet, and the backup role can dump the application's database.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DB_ROLES_SQL_PATH, dbRolesScript } from "../../components/app/db-roles";
import { requireTool } from "../lib/tools";
import { APP_ROLE, applyRoles, createAppDatabase } from "./lib/fixture";
import { PgServer } from "./lib/postgres";

const DB = "kline";

describe("database roles of the backup jobs (scripts/db-roles.sql) on a real PostgreSQL", function () {
    this.timeout(120_000);
    let pg: PgServer;

    before(async function () {
        this.timeout(180_000);
        pg = await PgServer.create();
        createAppDatabase(pg, DB, 1);
    });

    after(() => pg?.destroy());

    /** Runs psql as `user` with `password`; returns status and output (never throws). */
    const as = (user: string, password: string, sql: string, database = DB) => {
        const r = spawnSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql], {
            encoding: "utf8",
            env: { ...process.env, ...pg.env(database), PGUSER: user, PGPASSWORD: password },
        });
        return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const attrs = (role: string) =>
        pg.psql("postgres", `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '${role}'`).trim();
    const memberOf = (role: string) =>
        pg
            .psql(
                "postgres",
                `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '${role}' ORDER BY 1`,
            )
            .trim();

    it("creates a read-only backup role and a restore role that may create databases and act for the app", () => {
        applyRoles(pg, "backup-pw-1", "restore-pw-1");
        assert.equal(attrs("kline_backup"), "t|f|f|f");
        assert.equal(memberOf("kline_backup"), "pg_read_all_data");
        assert.equal(attrs("kline_restore"), "t|f|t|f");
        assert.equal(memberOf("kline_restore"), APP_ROLE);

        const tables = pg.psql(DB, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1 LIMIT 1").trim();
        assert.ok(tables, "the seeded database has tables");
        const read = as("kline_backup", "backup-pw-1", `SELECT count(*) > 0 FROM ${tables}`);
        assert.deepEqual([read.status, read.out.trim()], [0, "t"], "the backup role reads the app's rows");
        const write = as("kline_backup", "backup-pw-1", `DELETE FROM ${tables}`);
        assert.notEqual(write.status, 0);
        assert.match(write.out, /permission denied/);
        assert.match(as("kline_backup", "backup-pw-1", "CREATE DATABASE nope", "postgres").out, /permission denied to create database/);
        const created = as("kline_restore", "restore-pw-1", "CREATE DATABASE kline_roles_check", "postgres");
        assert.equal(created.status, 0, created.out);
        pg.psql("postgres", "DROP DATABASE kline_roles_check");
    });

    it("a backup as the backup role: pg_dump of the application's database succeeds", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kline-db-roles-")), "kline.dump");
        const r = spawnSync("pg_dump", ["--format=custom", "--no-sync", "-f", file, DB], {
            encoding: "utf8",
            env: { ...process.env, ...pg.env(DB), PGUSER: "kline_backup", PGPASSWORD: "backup-pw-1" },
        });
        assert.equal(r.status, 0, r.stderr);
        const list = spawnSync("pg_restore", ["--list", file], { encoding: "utf8" });
        assert.equal(list.status, 0, list.stderr);
        const tables = pg.psql(DB, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").trim().split("\n");
        for (const t of tables) assert.match(list.stdout, new RegExp(`TABLE DATA public ${t} `), `${t} is in the dump`);
        fs.rmSync(path.dirname(file), { recursive: true });
    });

    it("runs again on existing roles (a restart on the same volume): sets the new passwords, nothing else changes", () => {
        // Quotes and backslashes are data: psql quotes the value it read from the environment.
        const next = `it's "new" \\ ${"x".repeat(8)}`;
        applyRoles(pg, next, "restore-pw-2");
        applyRoles(pg, next, "restore-pw-2");
        assert.equal(attrs("kline_backup"), "t|f|f|f");
        assert.equal(memberOf("kline_restore"), APP_ROLE);
        assert.match(as("kline_backup", "backup-pw-1", "SELECT 1").out, /password authentication failed/);
        assert.equal(as("kline_backup", next, "SELECT 1").status, 0);
        assert.equal(as("kline_restore", "restore-pw-2", "SELECT 1").status, 0);
    });

    it("refuses to run without a password in the environment, naming the variable", () => {
        assert.throws(
            () =>
                pg.psqlFile(
                    "postgres",
                    DB_ROLES_SQL_PATH,
                    { backup_user: "kline_backup", restore_user: "kline_restore", app_user: APP_ROLE },
                    { RESTORE_DB_PASSWORD: "x" },
                ),
            /set BACKUP_DB_PASSWORD and RESTORE_DB_PASSWORD in the environment/,
        );
        assert.throws(
            () =>
                pg.psqlFile(
                    "postgres",
                    DB_ROLES_SQL_PATH,
                    { restore_user: "kline_restore", app_user: APP_ROLE },
                    { BACKUP_DB_PASSWORD: "x", RESTORE_DB_PASSWORD: "y" },
                ),
            /role names missing: pass -v backup_user=<backupDbUser>/,
        );
    });

    it("the pod's postStart script waits for the server, then applies the roles (shellcheck-clean)", async () => {
        const script = dbRolesScript(pg.port, { backupUser: "kline_backup", restoreUser: "kline_restore" });
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kline-db-roles-")), "post-start.sh");
        fs.writeFileSync(file, script);
        const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/backup.txt)");
        const lint = spawnSync(shellcheck, ["--severity=info", "--format=gcc", "--shell=bash", file], { encoding: "utf8" });
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
        assert.equal(lint.stdout + lint.stderr, "", "shellcheck findings in the postStart script");

        pg.stop();
        // The pod's environment: the database's superuser (POSTGRES_*) and the role passwords.
        const hook = spawn("bash", ["-c", script], {
            env: {
                PATH: process.env.PATH,
                POSTGRES_USER: pg.user,
                POSTGRES_PASSWORD: pg.password,
                BACKUP_DB_PASSWORD: "backup-pw-3",
                RESTORE_DB_PASSWORD: "restore-pw-3",
            },
        });
        let output = "";
        hook.stdout.on("data", (d) => (output += d));
        hook.stderr.on("data", (d) => (output += d));
        const done = new Promise<number | null>((resolve) => hook.on("exit", resolve));
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal(hook.exitCode, null, `the hook did not wait for the server: ${output}`);
        pg.start();
        assert.equal(await done, 0, output);
        assert.equal(as("kline_backup", "backup-pw-3", "SELECT 1").status, 0);
        assert.equal(as("kline_restore", "restore-pw-3", "SELECT 1").status, 0);
    });
});
