// The script's command line and settings checks: every bad input exits 2 with a message that names
// the problem and the fix, before touching PostgreSQL or S3 (no servers are started here).
import { strict as assert } from "assert";
import { runScript, show } from "./lib/run-script";
import { MAX_RESTORE_TARGET_LENGTH } from "../../config/backup";

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
            "AWS_CLI",
            "PGDATABASE",
            "BACKUP_CONCURRENCY",
            "BACKUP_ZSTD_LEVEL",
            "BACKUP_REPLAY_WINDOW",
            "BACKUP_LOCK_TTL",
            "BACKUP_LOCK_OWNER",
            "BACKUP_WORK_DIR",
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
        ["a bad concurrency", ["backup"], { BACKUP_CONCURRENCY: "0" }, /BACKUP_CONCURRENCY='0' is invalid; use an integer from 1 to 64/],
        ["a bad zstd level", ["backup"], { BACKUP_ZSTD_LEVEL: "fast" }, /BACKUP_ZSTD_LEVEL='fast' is invalid/],
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
        ["a bad lock TTL", ["backup"], { BACKUP_LOCK_TTL: "5" }, /BACKUP_LOCK_TTL='5' is invalid/],
        [
            "an unwritable work dir",
            ["list"],
            { BACKUP_WORK_DIR: "/nonexistent/dir" },
            /BACKUP_WORK_DIR '\/nonexistent\/dir' is not a writable directory/,
        ],
        ["a missing AWS CLI", ["list"], { AWS_CLI: "/nonexistent/aws" }, /AWS CLI not found .*set AWS_CLI=/],
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

    for (const [what, args, env, message] of cases) {
        it(`exits 2 on ${what}`, async () => {
            const r = await runScript(args, { ...base, ...env });
            assert.equal(r.code, 2, show(r));
            assert.match(r.stderr, message);
            assert.match(r.stderr, /ERROR: /);
        });
    }
});
