// The script's command line and settings checks: every bad input exits 2 with a message that names
// the problem and the fix, before touching PostgreSQL or S3 (no servers are started here).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildProgram } from "./lib/program";
import { ScriptResult, runScript as runAny, show } from "./lib/run-script";
import { MAX_RESTORE_TARGET_LENGTH } from "../../config/backup";
import { onPath } from "../lib/tools";

const program = buildProgram();

/** A PATH with only what the entry script itself needs (bash, node, dirname, date). */
function onlyBasics(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-usage-path-"));
    for (const tool of ["bash", "dirname", "date"]) fs.symlinkSync(`/usr/bin/${tool}`, path.join(dir, tool));
    fs.symlinkSync(process.execPath, path.join(dir, "node"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}
const runScript = (args: string[], env: Record<string, string | undefined>): Promise<ScriptResult> =>
    runAny(args, { BACKUP_PROGRAM: program, ...env });

const base = {
    BACKUP_S3_BUCKET: "kline-backups",
    AWS_REGION: "us-west-2",
    PGDATABASE: "kline",
    PGHOST: "127.0.0.1",
    PGPORT: "1", // nothing listens there: reaching PostgreSQL would be a failure of these tests
    BACKUP_S3_ENDPOINT: "http://127.0.0.1:1",
};

describe("backup-restore.sh usage and settings validation", () => {
    it("--help documents every command, setting, the object layout and the exit codes", async () => {
        const r = await runScript(["--help"], {});
        assert.equal(r.code, 0, show(r));
        for (const word of [
            "backup",
            "list [--all]",
            "restore [<name>]",
            "validate [<name>]",
            "--window",
            "--from",
            "--to",
            "--target-db",
            "--force",
            "BACKUP_S3_BUCKET",
            "BACKUP_S3_PREFIX",
            "BACKUP_S3_ENDPOINT",
            "AWS_REGION",
            "AWS_MAX_ATTEMPTS",
            "PGDATABASE",
            "BACKUP_CONCURRENCY",
            "BACKUP_ZSTD_LEVEL",
            "BACKUP_REPLAY_WINDOW",
            "BACKUP_LOCK_TTL",
            "BACKUP_LOCK_OWNER",
            "BACKUP_WORK_DIR",
            "BACKUP_WORK_DIR_LIMIT",
            "--allow-other-source",
            "7 refused: the backup comes from another database",
            ".locks/backup.lock.<NNNNNNNNNNNN>",
            "If-None-Match",
            ".dump.zst.sha256",
            ".dump.zst.meta.json",
            "Exit codes",
        ]) {
            assert.ok(r.stdout.includes(word), `--help mentions ${word}`);
        }
        assert.equal((await runScript(["restore", "--help"], {})).code, 0);
    });

    const cases: [string, string[], Record<string, string>, RegExp][] = [
        ["no command", [], {}, /no command given/],
        ["an unknown command", ["bakup"], {}, /unknown command 'bakup'/],
        ["a missing bucket", ["list"], { BACKUP_S3_BUCKET: "" }, /BACKUP_S3_BUCKET is not set; export BACKUP_S3_BUCKET=/],
        ["an invalid bucket name", ["list"], { BACKUP_S3_BUCKET: "Bad_Bucket" }, /is not a valid bucket name/],
        ["a missing region", ["list"], { AWS_REGION: "" }, /AWS_REGION is not set/],
        [
            "a bad endpoint",
            ["list"],
            { BACKUP_S3_ENDPOINT: "127.0.0.1:9000" },
            /BACKUP_S3_ENDPOINT='127.0.0.1:9000' is not an http\(s\) URL/,
        ],
        ["a bad concurrency", ["backup"], { BACKUP_CONCURRENCY: "0" }, /BACKUP_CONCURRENCY='0' is invalid; use an integer from 1 to 16/],
        ["a concurrency the stack config would refuse", ["backup"], { BACKUP_CONCURRENCY: "17" }, /use an integer from 1 to 16/],
        ["a bad zstd level", ["backup"], { BACKUP_ZSTD_LEVEL: "fast" }, /BACKUP_ZSTD_LEVEL='fast' is invalid/],
        [
            "a scratch limit in an unknown unit",
            ["restore"],
            { BACKUP_WORK_DIR_LIMIT: "20GB" },
            /BACKUP_WORK_DIR_LIMIT='20GB' is invalid; use a size from 1Mi to 1024Ti in bytes or with Ki, Mi, Gi or Ti, e\.g\. 20Gi/,
        ],
        ["a scratch limit below 1Mi", ["validate"], { BACKUP_WORK_DIR_LIMIT: "512Ki" }, /BACKUP_WORK_DIR_LIMIT='512Ki' is invalid/],
        ["a missing PGDATABASE", ["backup"], { PGDATABASE: "" }, /PGDATABASE is not set/],
        ["arguments to backup", ["backup", "extra"], {}, /backup takes no arguments/],
        [
            "a malformed window",
            ["restore", "--window", "yesterday"],
            {},
            /replay window 'yesterday' is invalid; use <number>\{s\|m\|h\|d\}/,
        ],
        ["a malformed default window", ["restore"], { BACKUP_REPLAY_WINDOW: "24" }, /replay window '24' is invalid/],
        [
            "a name and a window",
            ["restore", "kline_analytics_backup_20240101_020000.dump.zst", "--window", "24h"],
            {},
            /either a backup name or --window/,
        ],
        ["--to without --from", ["restore", "--to", "2024-01-01"], {}, /--to needs --from/],
        ["an unparsable time", ["restore", "--from", "not a time"], {}, /--from 'not a time' is not a time/],
        ["from after to", ["restore", "--from", "2024-02-01", "--to", "2024-01-01"], {}, /is after --to/],
        ["a name that is not a backup", ["restore", "../etc/passwd"], {}, /is not a backup name/],
        ["an unknown restore option", ["restore", "--yes"], {}, /unknown option for restore: '--yes'/],
        ["a bad target database", ["restore", "--target-db", "a;drop"], {}, /--target-db='a;drop' is not a database name/],
        [
            "a bad lock TTL",
            ["backup"],
            { BACKUP_LOCK_TTL: "5" },
            /BACKUP_LOCK_TTL='5' is invalid; use an integer from 60 to 604800 \(seconds\)/,
        ],
        [
            "a huge lock TTL (refused, not wrapped)",
            ["backup"],
            { BACKUP_LOCK_TTL: "18446744073709551677" },
            /BACKUP_LOCK_TTL='18446744073709551677' is invalid/,
        ],
        [
            "a huge window (refused, not wrapped)",
            ["restore", "--window", "99999999999d"],
            {},
            /replay window '99999999999d' is invalid; at most 3650d is allowed/,
        ],
        [
            "a huge default window",
            ["restore"],
            { BACKUP_REPLAY_WINDOW: "9223372036854775808s" },
            /replay window '9223372036854775808s' is invalid/,
        ],
        ["a zero window", ["restore", "--window", "0h"], {}, /replay window '0h' is invalid; it must be longer than zero/],
        [
            "a huge pg_dump lock wait",
            ["backup"],
            { BACKUP_PG_LOCK_WAIT_TIMEOUT: "99999999h" },
            /BACKUP_PG_LOCK_WAIT_TIMEOUT='99999999h' is invalid/,
        ],
        ["a day that does not exist", ["restore", "--from", "2024-02-30"], {}, /--from '2024-02-30' is not a time/],
        // Every option that takes a value and gets none is a usage error, never its default.
        ["--target-db without a value after --force", ["restore", "--force", "--target-db"], {}, /--target-db needs a value; see --help/],
        [
            "--target-db followed by another option",
            ["restore", "--target-db", "--force"],
            {},
            /--target-db needs a value \(the next argument '--force' is an option\)/,
        ],
        ["an empty --target-db=", ["restore", "--target-db="], {}, /--target-db needs a value \(got an empty one\)/],
        ["--window without a value", ["restore", "--window"], {}, /--window needs a value/],
        ["--from without a value", ["restore", "--from", "--to", "2024-01-01"], {}, /--from needs a value/],
        ["--to without a value", ["restore", "--from", "2024-01-01", "--to"], {}, /--to needs a value/],
        ["a value given to a flag", ["restore", "--force=yes"], {}, /--force takes no value/],
        ["an option given twice", ["restore", "--window", "1h", "--window", "2h"], {}, /--window is given twice/],
        ["an unknown validate option", ["validate", "--force"], {}, /unknown option for validate: '--force'/],
        ["an unknown list option", ["list", "--al"], {}, /unknown option for list: '--al'/],
        [
            "an unwritable work dir",
            ["list"],
            { BACKUP_WORK_DIR: "/nonexistent/dir" },
            /BACKUP_WORK_DIR '\/nonexistent\/dir' is not a writable directory/,
        ],
        [
            "a missing Node.js",
            ["list"],
            { BACKUP_NODE: "/nonexistent/node" },
            /Node.js not found \(BACKUP_NODE='\/nonexistent\/node'\); install Node.js/,
        ],
        ["a missing program", ["list"], { BACKUP_PROGRAM: "/nonexistent/cli.js" }, /BACKUP_PROGRAM='\/nonexistent\/cli.js' is not a file/],
        [
            "missing PostgreSQL client tools and zstd",
            ["backup"],
            { PATH: onlyBasics() },
            /required tool 'pg_dump' not found on PATH; install the PostgreSQL client[\s\S]*required tool 'zstd' not found on PATH; install zstd/,
        ],
    ];
    it("takes the longest restore target the stack config allows, refuses one character more", async () => {
        const longest = "a".repeat(MAX_RESTORE_TARGET_LENGTH);
        const ok = await runScript(["restore", "--window", "24h", "--target-db", longest], base);
        // Past every settings check, the script stops at PostgreSQL (nothing listens on port 1).
        assert.equal(ok.code, 1, show(ok));
        assert.match(ok.stderr, /cannot connect to PostgreSQL/);
        const tooLong = await runScript(["restore", "--window", "24h", "--target-db", `${longest}a`], base);
        assert.equal(tooLong.code, 2, show(tooLong));
        assert.match(tooLong.stderr, /is too long to keep a renamed copy/);
    });

    it("reports every bad setting of a group at once", async () => {
        const r = await runScript(["backup"], { ...base, BACKUP_CONCURRENCY: "0", BACKUP_ZSTD_LEVEL: "99", BACKUP_NAME_PREFIX: "a b" });
        assert.equal(r.code, 2, show(r));
        for (const key of ["BACKUP_CONCURRENCY", "BACKUP_ZSTD_LEVEL", "BACKUP_NAME_PREFIX"])
            assert.match(r.stderr, new RegExp(`ERROR: ${key}=`));
    });

    it("runs the program from the repository source when no built program is given (by hand, after npm ci)", async () => {
        // From another working directory, as an operator's shell usually is.
        const r = await runAny(["restore", "--target-db"], { ...base, BACKUP_PROGRAM: undefined }, os.tmpdir());
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, /--target-db needs a value/);
    });

    it("passes a quote in BACKUP_WORK_DIR as data when the directory does not exist", async () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "kline-usage-"));
        try {
            const r = await runAny(["list"], { ...base, BACKUP_PROGRAM: program, BACKUP_WORK_DIR: `x'$(touch ${home}/pwned)'` });
            assert.equal(r.code, 2, show(r));
            assert.match(r.stderr, /BACKUP_WORK_DIR 'x'\$\(touch .*\/pwned\)'' is not a writable directory/);
            assert.deepEqual(fs.readdirSync(home), [], "nothing ran");
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });

    for (const [what, args, env, message] of cases) {
        it(`exits 2 on ${what}`, async () => {
            const r = await runScript(args, { ...base, ...env });
            assert.equal(r.code, 2, show(r));
            assert.match(r.stderr, message);
            assert.match(r.stderr, /ERROR: /);
        });
    }
});

describe("backup-restore.sh point-in-time recovery commands: usage, refusals and where they run", () => {
    const instant = "2026-12-02T14:25:00Z";
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kline-pitr-usage-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("--help and the unknown-command message list every command, the point-in-time ones included", async () => {
        const help = await runScript(["--help"], {});
        assert.equal(help.code, 0, show(help));
        for (const text of [
            "pitr-window [--json]",
            "pitr-restore --to <instant> --data-dir <dir> [--port <N>] [--keep-running]",
            "--namespace <ns> --pod <pod> --container <name>",
            "4 the directory is not empty or is the live data directory",
        ])
            assert.ok(help.stdout.includes(text), `--help mentions ${text}`);
        // --help after a point-in-time command shows the same text.
        const sub = await runScript(["pitr-restore", "--help"], {});
        assert.equal(sub.code, 0, show(sub));
        assert.equal(sub.stdout, help.stdout);
        const unknown = await runScript(["pitr-windows"], {});
        assert.equal(unknown.code, 2, show(unknown));
        assert.match(
            unknown.stderr,
            /unknown command 'pitr-windows'; commands: backup, list, restore, validate, pitr-window, pitr-restore;/,
        );
    });

    const cases: [string, string[], RegExp][] = [
        ["--to without a value", ["pitr-restore", "--to", "--data-dir", "/srv/copy"], /pitr-restore: --to needs a value/],
        ["--to as the last argument", ["pitr-restore", "--data-dir", "/srv/copy", "--to"], /pitr-restore: --to needs a value/],
        ["an empty --to=", ["pitr-restore", "--to=", "--data-dir", "/srv/copy"], /pitr-restore: --to needs a value/],
        ["--data-dir without a value", ["pitr-restore", "--to", instant, "--data-dir"], /pitr-restore: --data-dir needs a value/],
        ["--port without a value", ["pitr-restore", "--to", instant, "--data-dir", "/srv/copy", "--port"], /--port needs a value/],
        ["--namespace without a value", ["pitr-window", "--namespace", "--json"], /pitr-window: --namespace needs a value/],
        ["--pod without a value", ["pitr-window", "--pod"], /pitr-window: --pod needs a value/],
        ["--container without a value", ["pitr-restore", "--container", "--to", instant], /pitr-restore: --container needs a value/],
        ["a missing --to", ["pitr-restore", "--data-dir", "/srv/copy"], /pitr-restore: --to <RFC 3339 instant> is required/],
        ["a missing --data-dir", ["pitr-restore", "--to", instant], /pitr-restore: --data-dir <new empty directory> is required/],
        ["a relative --data-dir", ["pitr-restore", "--to", instant, "--data-dir", "copy"], /--data-dir 'copy' must be an absolute path/],
        ["a bad port", ["pitr-restore", "--to", instant, "--data-dir", "/srv/copy", "--port", "70000"], /--port '70000' is not a TCP port/],
        ["an unknown pitr-window option", ["pitr-window", "--all"], /unknown option for pitr-window: '--all'/],
        ["a restore option given to pitr-window", ["pitr-window", "--to", instant], /unknown option for pitr-window: '--to'/],
        ["an unknown pitr-restore option", ["pitr-restore", "--target", instant], /unknown option for pitr-restore: '--target'/],
        ["a value given to a flag", ["pitr-window", "--json=yes"], /pitr-window: --json takes no value/],
        ["an option given twice", ["pitr-restore", "--to", instant, "--to", instant], /pitr-restore: --to is given twice/],
        ["a stray argument", ["pitr-window", "now"], /unknown option for pitr-window: 'now'/],
    ];
    for (const [what, args, message] of cases) {
        it(`exits 2 on ${what}`, async () => {
            const r = await runScript(args, {});
            assert.equal(r.code, 2, show(r));
            assert.match(r.stderr, message);
            assert.match(r.stderr, /ERROR: .*; see --help/);
        });
    }

    /** A pgBackRest configuration whose live data directory (pg1-path) is `live`. */
    function config(live: string): string {
        const file = path.join(tmp, "pgbackrest.conf");
        fs.writeFileSync(file, `[global]\nrepo1-path=${tmp}/repo\n\n[kline]\npg1-path=${live}\n`);
        return file;
    }

    it("here (pgbackrest on PATH): refuses a non-empty directory before reading the repository", async function () {
        if (!onPath("pgbackrest")) throw new Error("pgbackrest is not on PATH: apt-get install pgbackrest (listed in .ci/apt/backup.txt)");
        const busy = fs.mkdtempSync(path.join(tmp, "busy-"));
        fs.writeFileSync(path.join(busy, "PG_VERSION"), "15\n");
        const r = await runScript(["pitr-restore", "--to", instant, "--data-dir", busy], {
            PGBACKREST_CONFIG: config(path.join(tmp, "live")),
        });
        assert.equal(r.code, 4, show(r));
        assert.match(r.stderr, /is not empty: a point-in-time restore goes into a new, empty directory/);
        assert.deepEqual(fs.readdirSync(busy), ["PG_VERSION"], "nothing was written into it");
    });

    it("here: refuses the live data directory and any directory inside it, even when empty", async function () {
        if (!onPath("pgbackrest")) throw new Error("pgbackrest is not on PATH: apt-get install pgbackrest (listed in .ci/apt/backup.txt)");
        const live = path.join(tmp, "live");
        fs.mkdirSync(live, { recursive: true });
        for (const dir of [live, `${live}/`, path.join(live, "copy"), path.join(tmp, "elsewhere", "..", "live", "copy")]) {
            const r = await runScript(["pitr-restore", "--to", instant, "--data-dir", dir], { PGBACKREST_CONFIG: config(live) });
            assert.equal(r.code, 4, `${dir}: ${show(r)}`);
            assert.match(r.stderr, /is, holds or lies inside the live data directory/);
        }
        assert.deepEqual(fs.readdirSync(live), [], "nothing was created in the live directory");
    });

    /** A PATH without pgbackrest whose kubectl records its arguments (one per line) into `log`. */
    function kubectlPath(log: string): string {
        const dir = fs.mkdtempSync(path.join(tmp, "path-"));
        for (const tool of ["bash", "dirname", "date", "realpath", "sed", "head"]) fs.symlinkSync(`/usr/bin/${tool}`, path.join(dir, tool));
        fs.writeFileSync(path.join(dir, "kubectl"), `#!/usr/bin/bash\nprintf '%s\\n' "$@" > '${log}'\necho "kubectl stand-in ran"\n`, {
            mode: 0o755,
        });
        return dir;
    }

    it("without pgbackrest: runs pitr.sh in the database pod through kubectl exec, arguments passed as given", async () => {
        const log = path.join(tmp, "kubectl.args");
        const PATH = kubectlPath(log);
        const w = await runScript(["pitr-window", "--json"], { PATH });
        assert.equal(w.code, 0, show(w));
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            "exec",
            "kline-analytics-postgresql-0",
            "--container",
            "pgbackrest",
            "--",
            "bash",
            "/etc/pgbackrest/pitr.sh",
            "window",
            "--json",
        ]);
        const dir = "/tmp/pitr copy; rm -rf /";
        const r = await runScript(
            [
                "pitr-restore",
                "--namespace=kline-analytics-production",
                "--to",
                instant,
                "--data-dir",
                dir,
                "--port",
                "54400",
                "--keep-running",
            ],
            { PATH },
        );
        assert.equal(r.code, 0, show(r));
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            "--namespace",
            "kline-analytics-production",
            "exec",
            "kline-analytics-postgresql-0",
            "--container",
            "pgbackrest",
            "--",
            "bash",
            "/etc/pgbackrest/pitr.sh",
            "restore",
            "--target",
            instant,
            "--data-dir",
            dir,
            "--port",
            "54400",
            "--keep-running",
        ]);
    });

    it("in a pod: refuses the pod's data volume without calling kubectl", async () => {
        const log = path.join(tmp, "kubectl-refused.args");
        const r = await runScript(
            ["pitr-restore", "--pod", "kline-analytics-pitr-x-0", "--to", instant, "--data-dir", "/var/lib/postgresql/data/pgdata"],
            { PATH: kubectlPath(log) },
        );
        assert.equal(r.code, 4, show(r));
        assert.match(r.stderr, /live data directory \/var\/lib\/postgresql\/data/);
        assert.equal(fs.existsSync(log), false, "kubectl was not run");
    });
});
