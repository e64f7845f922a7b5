// scripts/backup-restore.sh (and the program it starts) against a real PostgreSQL (Debian package) and
// a real S3 server (MinIO), both started here on loopback. Backup runs as the read-only backup role,
// restore and validate as the restore role. The tests share one seeded database and one bucket and run
// in order: later tests damage backups made by earlier ones and check that nothing good is lost and
// nothing bad is listed.
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable } from "stream";
import { EXIT } from "../../components/backup/logical/errors";
import { BackupLock } from "../../components/backup/logical/lock";
import { AlreadyExists, S3Store } from "../../components/backup/logical/store";
import { APP_ROLE, BACKUP_NAME_RE, BackupFixture, BUCKET, PREFIX, SOURCE_DB } from "./lib/fixture";
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
        assert.deepEqual(await fx.keys(true), [
            ".locks/backup.lock.000000000001",
            ".locks/backup.lock.000000000002",
            b1,
            `${b1}.meta.json`,
            `${b1}.sha256`,
        ]);
        const lock = await fx.lock();
        assert.equal(lock.state, "released", "the backup took the lock (generation 1) and released it (generation 2)");

        // The sidecars describe exactly the stored object and the source's rows.
        const body = await fx.get(b1);
        const sha = crypto.createHash("sha256").update(body).digest("hex");
        assert.equal((await fx.get(`${b1}.sha256`)).toString(), `${sha}  ${b1}\n`);
        const meta = JSON.parse((await fx.get(`${b1}.meta.json`)).toString());
        assert.equal(meta.sha256, sha);
        assert.equal(meta.size_bytes, body.length);
        assert.equal(meta.compression, "zstd");
        assert.match(meta.server_version, /^\d+\.\d+/);
        assert.equal(meta.database_owner, APP_ROLE);
        assert.equal(meta.database, SOURCE_DB);
        assert.equal(meta.format_version, 2);
        assert.deepEqual(meta.source, {
            systemIdentifier: fx.pg.psql("postgres", "SELECT system_identifier FROM pg_control_system()").trim(),
            database: SOURCE_DB,
            host: "127.0.0.1",
            port: fx.pg.port,
        });
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
        // The default: decompressed on the way down, loaded by pg_restore --jobs (BACKUP_CONCURRENCY 3).
        assert.match(restore.stderr, /decompressing it for 3 parallel jobs/);
        assert.match(restore.stderr, /indexed the dump.s \d+ data blocks/);
        assert.match(restore.stderr, /restoring \S+ into "kline_restored__restoring" with 3 parallel jobs/);

        assert.deepEqual(fx.checksums("kline_restored"), atB1, "every row of every table and the sequences match");
        assert.equal(fx.schema("kline_restored"), fx.schema(SOURCE_DB), "schema (types, keys, indexes, view) and owners match");
        assert.equal(
            fx.pg.psql("kline_restored", "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'").trim(),
            APP_ROLE,
            "the restore role gave the tables back to the application's role",
        );
        assert.deepEqual(
            fx.pg.databases().filter((d) => d.includes("__")),
            [],
            "validate dropped its scratch database and restore left no staging database",
        );
    });

    it("restores in one session when told to or when the scratch space cannot hold the uncompressed dump, with the same result", async () => {
        const size: number = JSON.parse((await fx.get(`${b1}.meta.json`)).toString()).size_bytes;
        const MiB = 1024 * 1024;
        // BACKUP_WORK_DIR_LIMIT stands for the restore pod's emptyDir sizeLimit, which free space does not show.
        const [told, small, tiny] = await Promise.all([
            fx.ok(["restore", b1, "--target-db", "kline_one_session"], { BACKUP_CONCURRENCY: "1" }),
            fx.ok(["restore", b1, "--target-db", "kline_small_scratch"], { BACKUP_WORK_DIR_LIMIT: String(size + 20 * MiB) }),
            fx.run(["restore", b1, "--target-db", "kline_tiny_scratch"], { BACKUP_WORK_DIR_LIMIT: "1Mi" }),
        ]);
        assert.match(told.stderr, /restoring \S+ into "kline_one_session__restoring" in one transaction/);
        assert.doesNotMatch(told.stderr, /parallel/);
        assert.match(small.stderr, /has room for [\d.]+MiB, the uncompressed dump needs about [\d.]+MiB: restoring in one session/);
        assert.match(small.stderr, /more room allows a parallel restore: .*restoreScratchSize/);
        assert.match(small.stderr, /in one transaction/);
        for (const db of ["kline_one_session", "kline_small_scratch"]) assert.deepEqual(fx.checksums(db), atB1, db);
        assert.equal(tiny.code, 1, show(tiny));
        assert.match(tiny.stderr, /not enough space in \S+ for \S+: need [\d.]+MiB, have 1\.0MiB/);
        assert.match(tiny.stderr, /hint: .*restoreScratchSize/);
        assert.ok(!fx.pg.databases().some((d) => d.startsWith("kline_tiny_scratch")), "no database was created");
    });

    it("falls back to one session when the uncompressed dump outgrows the scratch space on the way down", async () => {
        // 20 rows of 10 MB of repeated text: small on disk (TOAST compresses it) and in the backup, 200 MB dumped.
        fx.pg.psql("postgres", `CREATE DATABASE kline_wide OWNER ${APP_ROLE}`);
        fx.pg.psql(
            "kline_wide",
            `SET ROLE ${APP_ROLE}; CREATE TABLE pages AS SELECT g AS id, repeat('kline ', 1700000) AS body FROM generate_series(1, 20) g;`,
        );
        const wide = { BACKUP_S3_PREFIX: "backups/wide/", PGDATABASE: "kline_wide" };
        const name = (await fx.ok(["backup"], wide)).stdout.trim();
        const meta = JSON.parse((await fx.s3.client.get(BUCKET, `backups/wide/${name}.meta.json`)).toString());
        assert.ok(meta.database_size_bytes < 40 * 1024 * 1024 && meta.size_bytes < 4 * 1024 * 1024, JSON.stringify(meta));

        const r = await fx.ok(["restore", name, "--target-db", "kline_wide_restored"], { ...wide, BACKUP_WORK_DIR_LIMIT: "64Mi" });
        assert.match(r.stderr, /decompressing it for 3 parallel jobs/);
        assert.match(r.stderr, /the uncompressed dump outgrew the room in \S+: restoring in one session instead/);
        assert.match(r.stderr, /in one transaction/);
        assert.equal(
            fx.pg.psql("kline_wide_restored", "SELECT count(*), sum(length(body)) FROM pages").trim(),
            fx.pg.psql("kline_wide", "SELECT count(*), sum(length(body)) FROM pages").trim(),
        );
    });

    it("lets only one backup hold the lock: a running backup keeps others out, and of simultaneous takers exactly one wins", async () => {
        // B2 must differ from B1, so the window test can tell which one it restored.
        fx.pg.psql(
            SOURCE_DB,
            "INSERT INTO orders (instrument_id, side, price, quantity, status, placed_at) VALUES (1, 'buy', 1, 1, 'new', now())",
        );
        // A slow backup holds the lock; two more start while it runs.
        const holder = fx.start(["backup"], { BACKUP_ZSTD_LEVEL: "9", BACKUP_CONCURRENCY: "1" });
        await holder.waitForLog(/dumping/);
        const [second, third] = await Promise.all([fx.run(["backup"]), fx.run(["backup"])]);
        const a = await holder.done;
        assert.equal(a.code, 0, show(a));
        for (const loser of [second, third]) {
            assert.equal(loser.code, 3, show(loser));
            assert.match(loser.stderr, /another backup holds the lock .*backup\.lock\.\d{12} \(owner [^,]+, expires \d{4}-/);
        }
        b2 = a.stdout.trim();
        assert.notEqual(b2, b1);
        assert.deepEqual(await fx.dumpObjects(), [b1, b2], "the losers left no object behind");
        assert.deepEqual(listed(await fx.ok(["list"])), [b2, b1]);
        assert.equal((await fx.lock()).state, "released", "the winner released the lock");

        // Five takers at the same instant against the real S3 server: one write of the next generation wins.
        const store = writerStore(fx);
        const before = (await fx.lock()).generations;
        const results = await Promise.allSettled(
            [1, 2, 3, 4, 5].map((i) => BackupLock.acquire(store, { owner: `racer-${i}`, ttlSeconds: 600 }, () => undefined)),
        );
        const won = results.filter((r) => r.status === "fulfilled") as PromiseFulfilledResult<BackupLock>[];
        const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
        assert.equal(
            won.length,
            1,
            `exactly one taker wins: ${results.map((r) => (r.status === "rejected" ? r.reason.message : "won")).join(" | ")}`,
        );
        for (const l of lost) assert.equal(l.reason.code, EXIT.locked, l.reason.message);
        assert.equal(await won[0].value.release(), true);
        assert.equal((await fx.lock()).generations, before + 2, "one held and one released generation, nothing overwritten");
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
        assert.equal((await fx.lock()).state, "released", "the lock was released");
    });

    it("stops cleanly on SIGTERM (the Job's deadline): no object, the lock released", async () => {
        const before = await fx.keys();
        const run = fx.start(["backup"], { BACKUP_ZSTD_LEVEL: "12", BACKUP_CONCURRENCY: "1" });
        await run.waitForLog(/dumping/);
        await sleep(300);
        run.child.kill("SIGTERM"); // the script exec'd node: this is the program itself
        const r = await run.done;
        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, /ERROR: interrupted by SIGTERM/);
        assert.deepEqual(await fx.keys(), before, "no dump object, no sidecar");
        assert.equal((await fx.lock()).state, "released", "the lock was released on the way out");
        assert.deepEqual(listed(await fx.ok(["list", "--all"])), [b2, b1]);
    });

    it("abandons the upload when the S3 server stops mid-upload, and a retry of the same job recovers", async () => {
        const mpBefore = new Set(fx.s3.multipartUploads());
        const env = { BACKUP_LOCK_OWNER: "kline-analytics-backup-29000000", AWS_MAX_ATTEMPTS: "2" };
        // Slow compression keeps the stream open for seconds after its first part went out.
        const run = fx.start(["backup"], { ...env, BACKUP_ZSTD_LEVEL: "12", BACKUP_CONCURRENCY: "1" });
        let ended = false;
        void run.done.then(() => (ended = true));
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

        assert.equal((await fx.lock()).state, "held", "S3 was gone, so the lock could not be released");
        // The CronJob retries with the same Job name as lock owner: it may take over its own lock.
        const retry = await fx.ok(["backup"], env);
        assert.match(retry.stderr, /taking over our own stale lock \(owner kline-analytics-backup-29000000\)/);
        b3 = retry.stdout.trim();
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

    it("refuses a backup whose bytes match its checksum but are not zstd data, before any database exists", async () => {
        // Sidecars that truly describe a damaged body: damaged before it was stored, not after.
        const name = "kline_analytics_backup_20240101_020000.dump.zst";
        const body = crypto.randomBytes(64 * 1024);
        const sha = crypto.createHash("sha256").update(body).digest("hex");
        const meta = { ...JSON.parse((await fx.get(`${b1}.meta.json`)).toString()), name, sha256: sha, size_bytes: body.length };
        await fx.put(name, body);
        await fx.put(`${name}.sha256`, Buffer.from(`${sha}  ${name}\n`));
        await fx.put(`${name}.meta.json`, Buffer.from(JSON.stringify(meta)));
        const r = await fx.run(["restore", name, "--target-db", "kline_not_zstd"]);
        assert.equal(r.code, 4, show(r));
        assert.match(
            r.stderr,
            new RegExp(
                `${name} matches its checksum but does not decompress \\(zstd exit 1: .+\\); it was damaged before it was stored, restore refused`,
            ),
        );
        assert.ok(!fx.pg.databases().some((d) => d.startsWith("kline_not_zstd")), "no database was created");
        for (const k of [name, `${name}.sha256`, `${name}.meta.json`]) await fx.s3.client.delete(BUCKET, PREFIX + k);
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
        const badS3 = { AWS_SECRET_ACCESS_KEY: "not-the-secret-key" };
        const [s3Backup, s3List, pgBackup] = await Promise.all([
            fx.run(["backup"], badS3),
            fx.run(["list"], badS3),
            fx.run(["backup"], { PGPASSWORD: "not-the-password" }),
        ]);
        assert.equal(s3Backup.code, 1, show(s3Backup));
        assert.match(s3Backup.stderr, /hint: the S3 credentials are wrong or missing/);
        assert.match(s3Backup.stderr, /nothing was uploaded/);
        assert.equal(s3List.code, 1, `a listing that failed must not look like "no backups":\n${show(s3List)}`);
        assert.equal(s3List.stdout, "");
        assert.equal(pgBackup.code, 1, show(pgBackup));
        assert.match(pgBackup.stderr, /cannot connect to PostgreSQL .*password authentication failed/);
        assert.doesNotMatch(pgBackup.stderr + s3Backup.stderr, /not-the-(secret-key|password)/, "secrets are never printed");
        assert.deepEqual(await fx.keys(), before, "no lock generation either");
    });

    it("refuses to restore over a non-empty database unless forced, and then keeps the old one", async () => {
        const sourceBefore = fx.checksums(SOURCE_DB);
        const refused = await fx.run(["restore", b1]); // default target: PGDATABASE, the live source
        assert.equal(refused.code, 5, show(refused));
        // A missing value is a usage error, never "the default": this once restored into PGDATABASE.
        const noValue = await fx.run(["restore", b1, "--force", "--target-db"]);
        assert.equal(noValue.code, 2, show(noValue));
        assert.match(noValue.stderr, /--target-db needs a value/);
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

    it("never replaces an object: a second write of a dump or a sidecar by the writer gets 412 and the object stays as it was", async () => {
        const store = writerStore(fx);
        const originals = await Promise.all([b1, `${b1}.sha256`, `${b1}.meta.json`].map((k) => fx.get(k)));
        const uploadsBefore = fx.s3.multipartUploads();
        const forged = Buffer.from(`${"0".repeat(64)}  ${b1}\n`);
        const errors: unknown[] = [];
        for (const attempt of [
            () => store.putOnce(`${b1}.sha256`, forged, "text/plain"),
            () => store.putOnce(`${b1}.meta.json`, Buffer.from("{}"), "application/json"),
            () => store.putOnce(b1, Buffer.from("small forged dump"), "application/zstd"),
            // Multipart: 12 MiB in 5 MiB parts; the condition goes on CompleteMultipartUpload.
            () =>
                store.uploadOnce(b1, Readable.from([crypto.randomBytes(12 * 1024 * 1024)]), {
                    partSize: 5 * 1024 * 1024,
                    queueSize: 2,
                    contentType: "application/zstd",
                }).done,
        ]) {
            errors.push(
                await attempt().then(
                    () => undefined,
                    (e) => e,
                ),
            );
        }
        for (const e of errors) {
            assert.ok(e instanceof AlreadyExists, `refused as existing: ${e}`);
            assert.equal((e as AlreadyExists).status, 412);
        }
        const after = await Promise.all([b1, `${b1}.sha256`, `${b1}.meta.json`].map((k) => fx.get(k)));
        assert.deepEqual(after, originals, "dump and sidecars are byte for byte what the backup wrote");
        assert.deepEqual(fx.s3.multipartUploads(), uploadsBefore, "the refused multipart upload was aborted, its parts discarded");
        assert.ok((await fx.ok(["list"])).stdout.includes(b1), "the backup is still listed as complete");
    });

    it("refuses to restore or validate a backup of another database unless --allow-other-source", async () => {
        fx.pg.psql("postgres", `CREATE DATABASE kline_other OWNER ${APP_ROLE}`);
        fx.pg.psql(
            "kline_other",
            `SET ROLE ${APP_ROLE}; CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 500) g;`,
        );
        const other = { BACKUP_S3_PREFIX: "backups/other-database/" };
        const name = (await fx.ok(["backup"], { ...other, PGDATABASE: "kline_other" })).stdout.trim();

        // The stack's own settings (PGDATABASE=kline) pointed at a prefix holding another database's backups.
        const [restore, validate] = await Promise.all([
            fx.run(["restore", name, "--target-db", "kline_from_other"], other),
            fx.run(["validate", name], other),
        ]);
        for (const r of [restore, validate]) {
            assert.equal(r.code, 7, show(r));
            assert.match(
                r.stderr,
                new RegExp(
                    `backup ${name} is not a backup of "kline" on this server: it comes from another database \\(database "kline_other", this source is "kline"; taken on 127\\.0\\.0\\.1:\\d+\\)`,
                ),
            );
            assert.match(r.stderr, /hint: .*--allow-other-source/);
            assert.doesNotMatch(r.stderr, /downloading/, "refused before downloading the dump");
        }
        assert.ok(!fx.pg.databases().some((d) => d.startsWith("kline_from_other")), "no database was created");

        const allowed = await fx.ok(["restore", name, "--target-db", "kline_from_other", "--allow-other-source"], other);
        assert.match(allowed.stderr, /WARNING: .*comes from another database/);
        assert.equal(fx.pg.psql("kline_from_other", "SELECT count(*) FROM notes").trim(), "500");
    });

    it("passes a quote in BACKUP_WORK_DIR as data: nothing runs, the command works", async () => {
        // The program runs in fx.home: a command smuggled in through the path would create these files there.
        const marker = path.join(fx.home, "pwned");
        const dir = path.join(fx.home, `q'$(touch pwned)'"; touch pwned2; echo "`);
        fs.mkdirSync(dir);
        const r = await fx.ok(["validate", b1], { BACKUP_WORK_DIR: dir });
        assert.equal(r.stdout.trim(), b1);
        assert.match(r.stderr, /sha256 verified/, "the download went into that directory");
        assert.ok(!fs.existsSync(marker) && !fs.existsSync(`${marker}2`), "no command from the path ran");
        assert.deepEqual(fs.readdirSync(dir), [], "its scratch directory was removed");
    });
});

/** The program's S3 access as the backup job has it (MinIO's credentials stand in for the writer role). */
function writerStore(fx: BackupFixture): S3Store {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // Node.js 20 here; the image runs 22
    return new S3Store(
        { bucket: BUCKET, prefix: PREFIX, region: fx.s3.region, endpoint: fx.s3.endpoint },
        { credentials: { accessKeyId: fx.s3.accessKey, secretAccessKey: fx.s3.secretKey } },
    );
}
