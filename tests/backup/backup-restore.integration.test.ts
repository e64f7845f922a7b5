// scripts/backup-restore.sh against a real PostgreSQL (Debian package) and a real S3 server (MinIO),
// both started here on loopback. The tests share one seeded database and one bucket and run in
// order: later tests damage backups made by earlier ones and check that nothing good is lost and
// nothing bad is listed.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BACKUP_NAME_RE, BackupFixture, BUCKET, SOURCE_DB } from "./lib/fixture";
import { show } from "./lib/run-script";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const listed = BackupFixture.listedNames;

describe("backup-restore.sh on real PostgreSQL and MinIO", function () {
    this.timeout(120_000);
    let fx: BackupFixture;
    /** Per-table checksums of the source when B1 was taken. */
    let atB1: Record<string, string>;
    let b1 = "";
    let b2 = "";
    let b3 = "";

    before(async function () {
        this.timeout(180_000);
        fx = await BackupFixture.create();
        atB1 = fx.checksums(SOURCE_DB);
    });

    after(async () => {
        await fx?.destroy();
    });

    it("backs up, lists, validates, and restores into a new database identical to the source", async () => {
        b1 = (await fx.ok(["backup"])).stdout.trim();
        assert.match(b1, BACKUP_NAME_RE);
        assert.deepEqual(await fx.keys(), [".locks/backup.lock", b1, `${b1}.meta.json`, `${b1}.sha256`]);

        // The sidecars describe exactly the stored object and the source's rows.
        const body = await fx.get(b1);
        const sha = crypto.createHash("sha256").update(body).digest("hex");
        assert.equal((await fx.get(`${b1}.sha256`)).toString(), `${sha}  ${b1}\n`);
        const meta = JSON.parse((await fx.get(`${b1}.meta.json`)).toString());
        assert.equal(meta.sha256, sha);
        assert.equal(meta.size_bytes, body.length);
        assert.equal(meta.compression, "zstd");
        assert.match(meta.server_version, /^\d+\.\d+/);
        assert.equal(meta.database, SOURCE_DB);
        assert.equal(meta.table_count, 5);
        const rows = Object.fromEntries(
            Object.entries(atB1)
                .filter(([t]) => !t.startsWith("seq:"))
                .map(([t, v]) => [`public.${t}`, Number(v.split(":")[0])]),
        );
        assert.deepEqual(meta.row_counts, rows);
        assert.ok(rows["public.candles"] >= 200_000, "seeded data is the realistic size");
        assert.ok(Date.parse(meta.finished_at) >= Date.parse(meta.started_at));

        const [list, validate, restore] = await Promise.all([
            fx.ok(["list"]),
            fx.ok(["validate", b1]),
            fx.ok(["restore", b1, "--target-db", "kline_restored"]),
        ]);
        assert.deepEqual(listed(list), [b1]);
        assert.match(list.stdout, new RegExp(`${b1}\\s+\\d+(\\.\\d)?MiB\\s+\\d+m\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
        assert.equal(validate.stdout.trim(), b1);
        assert.equal(restore.stdout.trim(), b1);

        assert.deepEqual(fx.checksums("kline_restored"), atB1, "every row of every table and the sequences match");
        assert.equal(fx.schema("kline_restored"), fx.schema(SOURCE_DB), "schema (types, keys, indexes, view) matches");
        assert.deepEqual(
            fx.pg.databases().filter((d) => d.includes("__")),
            [],
            "validate dropped its scratch database and restore left no staging database",
        );
    });

    it("lets only one of two concurrent backups run (S3 lock across hosts, flock on one host)", async () => {
        // B2 must differ from B1, so the window test can tell which one it restored.
        fx.pg.psql(
            SOURCE_DB,
            "INSERT INTO orders (instrument_id, side, price, quantity, status, placed_at) VALUES (1, 'buy', 1, 1, 'new', now())",
        );
        // Two hosts (different flock files) with the production settle delay.
        const hostA = fx.start(["backup"], { BACKUP_LOCK_FILE: path.join(fx.home, "host-a.lock"), BACKUP_LOCK_SETTLE: undefined });
        await hostA.waitForLog(/dumping/);
        const hostB = fx.start(["backup"], { BACKUP_LOCK_FILE: path.join(fx.home, "host-b.lock"), BACKUP_LOCK_SETTLE: undefined });
        const sameHost = await fx.run(["backup"], { BACKUP_LOCK_FILE: path.join(fx.home, "host-a.lock") });
        const [a, b] = await Promise.all([hostA.done, hostB.done]);

        assert.equal(sameHost.code, 3, show(sameHost));
        assert.match(sameHost.stderr, /another backup is already running on this host/);
        const winners = [a, b].filter((r) => r.code === 0);
        const losers = [a, b].filter((r) => r.code !== 0);
        assert.equal(winners.length, 1, `exactly one backup may win:\n${show(a)}\n${show(b)}`);
        assert.equal(losers[0].code, 3, show(losers[0]));
        assert.match(losers[0].stderr, /another backup .*(holds|took) the lock/);
        b2 = winners[0].stdout.trim();
        assert.notEqual(b2, b1);
        assert.deepEqual(await fx.dumpObjects(), [b1, b2], "the loser left no object behind");
        assert.deepEqual(listed(await fx.ok(["list"])), [b2, b1]);
        assert.equal((await fx.lock()).expires, "0", "the winner released the lock");
    });

    it("abandons the upload when PostgreSQL stops mid-dump", async () => {
        const before = await fx.keys();
        // Single-threaded zstd -12 slows the stream down to a few seconds (with little buffered
        // input), so the server really goes away in the middle of the dump.
        const run = fx.start(["backup"], { BACKUP_ZSTD_LEVEL: "12", BACKUP_CONCURRENCY: "1" });
        await run.waitForLog(/dumping/);
        await sleep(300);
        fx.pg.stop("immediate");
        const r = await run.done;
        fx.pg.start();

        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, /pg_dump: error/, "pg_dump itself lost the server");
        assert.match(r.stderr, /pg_dump failed .*the upload was abandoned, no backup was recorded/);
        assert.deepEqual(await fx.keys(), before, "no dump object, not even an incomplete one");
        assert.deepEqual(listed(await fx.ok(["list", "--all"])), [b2, b1]);
        assert.equal((await fx.lock()).expires, "0", "the lock was released");
    });

    it("abandons the upload when the S3 server stops mid-upload, and a retry of the same job recovers", async () => {
        const mpBefore = new Set(fx.s3.multipartUploads());
        const env = { BACKUP_LOCK_OWNER: "kline-analytics-backup-29000000", AWS_MAX_ATTEMPTS: "2" };
        const run = fx.start(["backup"], env);
        let ended = false;
        void run.done.then(() => (ended = true));
        // The gate holds the upload open until the lock is confirmed; catch it with parts in flight.
        while (!fx.s3.multipartUploads().some((u) => !mpBefore.has(u))) {
            if (ended) assert.fail(`backup ended before its multipart upload began:\n${show(await run.done)}`);
            await sleep(20);
        }
        await fx.s3.stop("SIGKILL");
        const r = await run.done;
        await fx.s3.start();

        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, /S3 .* failed/);
        assert.match(r.stderr, /hint: the S3 endpoint is unreachable/);
        assert.match(r.stderr, /(abandoned|no backup was recorded)/);
        assert.deepEqual(await fx.dumpObjects(), [b1, b2], "the interrupted multipart upload never became an object");
        assert.deepEqual(listed(await fx.ok(["list", "--all"])), [b2, b1]);

        // The CronJob retries with the same Job name as lock owner: it may take over its own lock.
        b3 = (await fx.ok(["backup"], env)).stdout.trim();
        assert.deepEqual(listed(await fx.ok(["list"])), [b3, b2, b1]);
    });

    it("refuses to restore a corrupted object and stops listing it", async () => {
        const body = await fx.get(b3);
        body[Math.floor(body.length / 2)] ^= 0xff; // same size, one flipped byte
        await fx.put(b3, body);

        const [list, restore] = await Promise.all([fx.ok(["list"]), fx.run(["restore", b3, "--target-db", "kline_corrupt"])]);
        assert.deepEqual(listed(list), [b2, b1]);
        assert.equal(restore.code, 4, show(restore));
        assert.match(restore.stderr, /checksum mismatch .* restore refused/);
        assert.ok(!fx.pg.databases().some((d) => d.startsWith("kline_corrupt")), "no database was created");
    });

    it("refuses a truncated object and stops listing it", async () => {
        const body = await fx.get(b2);
        await fx.put(b2, body.subarray(0, Math.floor(body.length / 2)));

        const [all, restore, validate] = await Promise.all([
            fx.ok(["list", "--all"]),
            fx.run(["restore", b2, "--target-db", "kline_truncated"]),
            fx.run(["validate", b2]),
        ]);
        assert.deepEqual(listed(all), [b3, b2, b1], "--all shows every dump object, with its status");
        for (const bad of [b3, b2]) assert.match(all.stdout, new RegExp(`${bad} .* bad: object changed after the backup`));
        assert.match(all.stdout, new RegExp(`${b1} .* complete\n`));
        for (const r of [restore, validate]) {
            assert.equal(r.code, 4, show(r));
            assert.match(r.stderr, /is \d+ bytes but the metadata records \d+ \(truncated or replaced\); restore refused/);
        }
        assert.ok(!fx.pg.databases().some((d) => d.startsWith("kline_truncated")));
    });

    it("restores the newest good backup inside the replay window, and refuses an empty window", async () => {
        const [none, newest] = await Promise.all([
            fx.run(["restore", "--from", "2001-01-01T00:00:00Z", "--to", "2001-01-02T00:00:00Z", "--target-db", "kline_window_none"]),
            fx.run(["restore", "--window", "1h", "--target-db", "kline_window"]),
        ]);
        assert.equal(none.code, 6, show(none));
        assert.match(
            none.stderr,
            new RegExp(
                `no complete backup in the replay window \\(2001-01-01T00:00:00Z \\.\\. 2001-01-02T00:00:00Z\\); the newest complete backup is ${b1}`,
            ),
        );
        assert.ok(!fx.pg.databases().includes("kline_window_none"));

        // B3 is corrupt and B2 truncated, so the newest good one is B1: its data, not today's.
        assert.equal(newest.code, 0, show(newest));
        assert.equal(newest.stdout.trim(), b1);
        assert.deepEqual(fx.checksums("kline_window"), atB1);
        assert.notDeepEqual(fx.checksums(SOURCE_DB), atB1, "the source has moved on since B1");
    });

    it("fails clearly on wrong credentials and leaves the bucket as it was", async () => {
        const before = await fx.keys();
        const badS3 = { AWS_SECRET_ACCESS_KEY: "not-the-secret-key", BACKUP_LOCK_FILE: path.join(fx.home, "bad-s3.lock") };
        const [s3Backup, s3List, pgBackup] = await Promise.all([
            fx.run(["backup"], badS3),
            fx.run(["list"], badS3),
            fx.run(["backup"], { PGPASSWORD: "not-the-password", BACKUP_LOCK_FILE: path.join(fx.home, "bad-pg.lock") }),
        ]);
        assert.equal(s3Backup.code, 1, show(s3Backup));
        assert.match(s3Backup.stderr, /hint: the S3 credentials are wrong or missing/);
        assert.match(s3Backup.stderr, /nothing was uploaded/);
        assert.equal(s3List.code, 1, `a listing that failed must not look like "no backups":\n${show(s3List)}`);
        assert.equal(s3List.stdout, "");
        assert.equal(pgBackup.code, 1, show(pgBackup));
        assert.match(pgBackup.stderr, /cannot connect to PostgreSQL .*password authentication failed/);
        assert.doesNotMatch(pgBackup.stderr + s3Backup.stderr, /not-the-(secret-key|password)/, "secrets are never printed");
        assert.deepEqual(await fx.keys(), before);
        assert.equal((await fx.lock()).expires, "0", "no lock was left behind");
    });

    it("takes the first lock of a fresh prefix when S3 answers the missing lock with 403 (stand-in CLI for AWS's answer)", async () => {
        // AWS answers GetObject of a missing key with 403 unless the caller may list the bucket for
        // that request; the writer role's s3:ListBucket carries an s3:prefix condition GetObject never
        // meets. MinIO answers 404, so this stand-in CLI turns its NoSuchKey on get-object into AWS's 403.
        const standIn = path.join(fx.home, "aws-403-stand-in");
        fs.writeFileSync(
            standIn,
            [
                "#!/usr/bin/env bash",
                "set -uo pipefail",
                `real=${JSON.stringify(fx.env().AWS_CLI ?? "/usr/bin/aws")}`,
                'if [[ " $* " != *" get-object "* ]]; then exec "$real" "$@"; fi',
                "err=$(mktemp) rc=0",
                '"$real" "$@" 2>"$err" || rc=$?',
                'if ((rc != 0)) && grep -q NoSuchKey "$err"; then',
                '    echo "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied" >&2',
                "else",
                '    cat "$err" >&2',
                "fi",
                'rm -f "$err"',
                'exit "$rc"',
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        const prefix = "backups/fresh-bucket/";
        const r = await fx.ok(["backup"], { AWS_CLI: standIn, BACKUP_S3_PREFIX: prefix });
        assert.match(r.stdout.trim(), BACKUP_NAME_RE);
        const lock = await fx.s3.client.get(BUCKET, `${prefix}.locks/backup.lock`);
        assert.match(lock.toString(), /^expires=0$/m, "the lock was taken and released");
    });

    it("refuses to restore over a non-empty database unless forced, and then keeps the old one", async () => {
        const sourceBefore = fx.checksums(SOURCE_DB);
        const refused = await fx.run(["restore", b1]); // default target: PGDATABASE, the live source
        assert.equal(refused.code, 5, show(refused));
        assert.match(refused.stderr, /database "kline" exists and is not empty .* restore refused.*--force/);
        assert.deepEqual(fx.checksums(SOURCE_DB), sourceBefore, "the source is untouched");

        fx.pg.psql("kline_restored", "DELETE FROM signals WHERE id % 2 = 0");
        const damaged = fx.checksums("kline_restored");
        const forced = await fx.ok(["restore", b1, "--target-db", "kline_restored", "--force"]);
        assert.match(forced.stderr, /previous "kline_restored" kept as "kline_restored__pre_restore_\d{14}"/);
        assert.deepEqual(fx.checksums("kline_restored"), atB1);
        const kept = fx.pg.databases().filter((d) => d.startsWith("kline_restored__pre_restore_"));
        assert.equal(kept.length, 1);
        assert.deepEqual(fx.checksums(kept[0]), damaged, "the replaced database is kept, not dropped");
    });
});
