// The logical backup program's pure parts, without any server: the command line, the settings, the
// catalogue, the metadata and source identity, and the lock protocol over an in-memory bucket that
// answers a second write of a key the way S3 does (412). The same code runs against real PostgreSQL
// and MinIO in backup-restore.integration.test.ts.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { BACKUP_NAME_PATTERN as CONFIG_NAME_PATTERN, MAX_RESTORE_TARGET_LENGTH as CONFIG_MAX_TARGET } from "../../config/backup";
import { BACKUP_NAME_PATTERN, LIMITS, MAX_RESTORE_TARGET_LENGTH, backupName, backupNameTime } from "../../contract/backup";
import { parseCommandLine, parseDuration, parseTime } from "../../components/backup/logical/args";
import { Catalogue } from "../../components/backup/logical/catalogue";
import { Cleanup } from "../../components/backup/logical/context";
import { BackupError, EXIT } from "../../components/backup/logical/errors";
import { humanAge, humanSize } from "../../components/backup/logical/format";
import { BackupLock, blockedBy, lockKey, newestGeneration, parseLockRecord } from "../../components/backup/logical/lock";
import { parseChecksumSidecar, parseMetadata, sourceMismatch } from "../../components/backup/logical/metadata";
import { commonSettings, lockSettings, pgSettings, s3Settings } from "../../components/backup/logical/settings";
import { AlreadyExists, ObjectInfo, ObjectStore } from "../../components/backup/logical/store";

const usage = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof BackupError && e.code === EXIT.usage && message.test(e.message));

describe("logical backups: the shared contract with config/", () => {
    it("config/ uses the program's name pattern and restore target limit", () => {
        assert.equal(CONFIG_NAME_PATTERN, BACKUP_NAME_PATTERN);
        assert.equal(CONFIG_MAX_TARGET, MAX_RESTORE_TARGET_LENGTH);
        assert.equal(MAX_RESTORE_TARGET_LENGTH + "__pre_restore_".length + 14, 63);
    });

    it("the image installs exactly the SDK versions the repository pins and tests (components/backup/logical/package*.json)", () => {
        const read = (p: string) => JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", p), "utf8"));
        const program = read("components/backup/logical/package.json");
        const root = read("package.json");
        const deps = Object.entries(program.dependencies as Record<string, string>);
        assert.deepEqual(deps.map(([n]) => n).sort(), ["@aws-sdk/client-s3", "@aws-sdk/lib-storage"]);
        for (const [name, version] of deps) {
            assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
            assert.equal(root.dependencies[name], version, `${name}: the root package.json pins the same version`);
        }
        const lock = read("components/backup/logical/package-lock.json").packages;
        const rootLock = read("package-lock.json").packages;
        for (const [key, entry] of Object.entries(lock as Record<string, { version?: string }>)) {
            if (key) assert.equal(rootLock[key]?.version, entry.version, `${key}: the image's lock agrees with the repository's`);
        }
    });

    it("names a backup by its UTC start and reads the instant back; impossible days are not names", () => {
        const at = new Date(Date.UTC(2024, 1, 29, 2, 3, 4));
        const name = backupName("kline_analytics_backup", at);
        assert.equal(name, "kline_analytics_backup_20240229_020304.dump.zst");
        assert.ok(BACKUP_NAME_PATTERN.test(name));
        assert.equal(backupNameTime(name), at.getTime());
        assert.equal(backupNameTime("kline_analytics_backup_20230229_020304.dump.zst"), undefined);
        assert.equal(backupNameTime("kline_analytics_backup_20240101_250000.dump.zst"), undefined);
    });
});

describe("logical backups: command line", () => {
    it("parses every command and option", () => {
        assert.deepEqual(parseCommandLine(["list", "--all"]), { kind: "list", all: true });
        assert.deepEqual(parseCommandLine(["restore", "--window", "7d", "--target-db=kline_x", "--force", "--allow-other-source"]), {
            kind: "restore",
            name: undefined,
            window: 7 * 86400,
            from: undefined,
            to: undefined,
            targetDb: "kline_x",
            force: true,
            noOwner: false,
            allowOtherSource: true,
        });
        const r = parseCommandLine(["restore", "--from", "2024-01-01T02:00:00+02:00", "--to", "2024-01-02"]);
        assert.equal(r.kind === "restore" && r.from, Date.UTC(2024, 0, 1, 0, 0, 0));
        assert.equal(r.kind === "restore" && r.to, Date.UTC(2024, 0, 2));
        assert.deepEqual(parseCommandLine(["validate", "x_20240101_020000.dump.zst"]), {
            kind: "validate",
            name: "x_20240101_020000.dump.zst",
            allowOtherSource: false,
        });
        assert.deepEqual(parseCommandLine(["backup", "--help"]), { kind: "help" });
    });

    for (const [argv, message] of [
        [["restore", "--force", "--target-db"], /--target-db needs a value; see --help/],
        [["restore", "--target-db", "--force"], /--target-db needs a value \(the next argument '--force' is an option\)/],
        [["restore", "--window="], /--window needs a value \(got an empty one\)/],
        [["restore", "--from"], /--from needs a value/],
        [["restore", "--window", "1h", "--from", "2024-01-01"], /either --window or --from\/--to/],
        [["restore", "--window", "4000d"], /at most 3650d is allowed/],
        [["restore", "--window", "999999999999d"], /at most 3650d/],
        [["restore", "--target-db", 'a"b'], /is not a database name/],
        [["restore", "a", "b"], /restore takes one backup name/],
        [["backup", "--all"], /unknown option for backup: '--all'/],
        [["list", "extra"], /list takes no arguments/],
        [["restore", "../x_20240101_020000.dump.zst"], /is not a backup name/],
    ] as const) {
        it(`refuses ${argv.join(" ")}`, () => usage(() => parseCommandLine([...argv]), message));
    }

    it("bounds durations and reads only real ISO 8601 times", () => {
        assert.deepEqual(parseDuration("90m"), { ok: true, seconds: 5400 });
        assert.equal(parseDuration(`${LIMITS.windowSeconds.max}s`).ok, true);
        assert.equal(parseDuration(`${LIMITS.windowSeconds.max + 1}s`).ok, false);
        assert.equal(parseDuration("1e3s").ok, false);
        assert.equal(parseTime("2024-01-01T00:00:00.123Z"), Date.UTC(2024, 0, 1));
        assert.equal(parseTime("2024-01-01 12:30"), Date.UTC(2024, 0, 1, 12, 30));
        for (const bad of ["2024-02-30", "2024-01-01T24:00", "yesterday", "2024-01-01T00:00+15:00", "1704067200"]) {
            assert.equal(parseTime(bad), undefined, bad);
        }
    });
});

describe("logical backups: sizes and ages in the log and in list", () => {
    it("prints binary units with one decimal and ages in minutes, hours or days", () => {
        assert.deepEqual([0, 1023, 1024, 14155776, 5 * 1024 ** 4].map(humanSize), ["0B", "1023B", "1.0KiB", "13.5MiB", "5.0TiB"]);
        assert.deepEqual([-5, 59, 3599, 3600 * 5 + 7 * 60, 172800 + 3 * 3600].map(humanAge), ["0m", "0m", "59m", "5h07m", "2d03h"]);
    });
});

describe("logical backups: settings", () => {
    const base = { BACKUP_S3_BUCKET: "kline-backups", AWS_REGION: "us-west-2", PGDATABASE: "kline", BACKUP_WORK_DIR: "/tmp" };

    it("takes defaults and normalises the prefix", () => {
        assert.deepEqual(s3Settings({ ...base, BACKUP_S3_PREFIX: "/a/b" }), {
            bucket: "kline-backups",
            prefix: "a/b/",
            region: "us-west-2",
            endpoint: undefined,
        });
        const c = commonSettings(base);
        assert.equal(c.concurrency, 3);
        assert.equal(c.zstdLevel, 1);
        assert.equal(lockSettings(base).ttlSeconds, LIMITS.lockTtlSeconds.default);
        assert.equal(pgSettings(base).lockWaitSeconds, 300);
        assert.equal(pgSettings({ ...base, BACKUP_PG_LOCK_WAIT_TIMEOUT: "5m" }).lockWaitSeconds, 300);
    });

    it("reports every problem of a group at once, each naming the variable", () => {
        usage(
            () => s3Settings({ BACKUP_S3_BUCKET: "Bad_Bucket", AWS_REGION: "", BACKUP_S3_PREFIX: "a//b", BACKUP_S3_ENDPOINT: "ftp://x" }),
            /BACKUP_S3_BUCKET='Bad_Bucket'[\s\S]*AWS_REGION is not set[\s\S]*BACKUP_S3_PREFIX='a\/\/b'[\s\S]*BACKUP_S3_ENDPOINT='ftp:\/\/x'/,
        );
        usage(
            () => pgSettings({ PGDATABASE: "a b", BACKUP_ADMIN_DB: "x;y", PGPORT: "70000" }),
            /PGDATABASE='a b'[\s\S]*BACKUP_ADMIN_DB='x;y'[\s\S]*PGPORT='70000'/,
        );
        usage(
            () => lockSettings({ BACKUP_LOCK_TTL: "99999999999999999999", BACKUP_LOCK_OWNER: "a b" }),
            /BACKUP_LOCK_TTL=[\s\S]*BACKUP_LOCK_OWNER='a b'/,
        );
    });
});

const listing = (entries: Array<[string, number]>, size = 100): ObjectInfo[] =>
    entries.map(([name, lastModified]) => ({ name, size, lastModified }));

describe("logical backups: catalogue and window selection", () => {
    const t = (h: number, m = 0, s = 0) => Date.UTC(2024, 0, 1, h, m, s);
    const n = (h: number) => `kline_analytics_backup_20240101_${String(h).padStart(2, "0")}0000.dump.zst`;
    const complete = (h: number): Array<[string, number]> => [
        [n(h), t(h, 1)],
        [`${n(h)}.sha256`, t(h, 2)],
        [`${n(h)}.meta.json`, t(h, 2)],
    ];

    it("lists complete backups newest first and says why other objects are not backups", () => {
        const cat = Catalogue.fromListing(
            listing([
                ...complete(1),
                ...complete(3),
                [n(4), t(4, 1)], // no sidecars: failed
                [n(5), t(5, 1)],
                [`${n(5)}.sha256`, t(5, 2)], // no metadata
                [n(6), t(6, 9)], // replaced after its sidecars
                [`${n(6)}.sha256`, t(6, 2)],
                [`${n(6)}.meta.json`, t(6, 2)],
                [n(7), t(15)], // stored 8 hours after its name says: back-dated
                [`${n(7)}.sha256`, t(15, 1)],
                [`${n(7)}.meta.json`, t(15, 1)],
                ["other_20240101_020000.dump.zst", t(2)],
                [".locks/backup.lock.000000000001", t(1)],
            ]),
            "kline_analytics_backup",
        );
        assert.deepEqual(
            cat.complete().map((e) => e.name),
            [n(3), n(1)],
        );
        const status = Object.fromEntries(cat.entries.map((e) => [e.name.slice(32, 34), e.status]));
        assert.match(status["04"], /^incomplete: no \.sha256/);
        assert.match(status["05"], /^incomplete: no \.meta\.json/);
        assert.match(status["06"], /^bad: object changed after the backup/);
        assert.match(status["07"], /^bad: stored at 2024-01-01T15:00:00.000Z, not when its name says/);
        assert.equal(cat.entries.length, 6, "another prefix's dump and the lock are not entries");
    });

    it("chooses the newest complete backup inside [from, to]", () => {
        const cat = Catalogue.fromListing(listing([...complete(1), ...complete(3), ...complete(5)]), "kline_analytics_backup");
        assert.equal(cat.choose(t(2), t(4))?.name, n(3));
        assert.equal(cat.choose(t(0), t(1))?.name, n(1), "both ends are inside");
        assert.equal(cat.choose(t(5, 0, 1)), undefined);
        assert.equal(cat.choose()?.name, n(5));
    });
});

describe("logical backups: sidecars and source identity", () => {
    const name = "kline_analytics_backup_20240101_020000.dump.zst";
    const sha = "a".repeat(64);
    const meta = (extra: Record<string, unknown> = {}) =>
        Buffer.from(
            JSON.stringify({
                format_version: 2,
                name,
                size_bytes: 10,
                sha256: sha,
                encoding: "UTF8",
                database_owner: "kline_app",
                row_counts: { "public.t": 3 },
                source: { systemIdentifier: "7312345678901234567", database: "kline", host: "db", port: 5432 },
                ...extra,
            }),
        );

    it("reads what a backup wrote and refuses malformed or foreign sidecars", () => {
        assert.equal(parseChecksumSidecar(name, Buffer.from(`${sha}  ${name}\n`)), sha);
        assert.throws(() => parseChecksumSidecar(name, Buffer.from(`${sha}  other.dump.zst\n`)), /names another object/);
        const facts = parseMetadata(name, meta());
        assert.equal(facts.owner, "kline_app");
        assert.equal(facts.source?.systemIdentifier, "7312345678901234567");
        for (const [extra, why] of [
            [{ name: "other" }, /it names "other"/],
            [{ size_bytes: -1 }, /size_bytes/],
            [{ encoding: "UTF8'; DROP" }, /encoding/],
            [{ row_counts: { t: 1.5 } }, /row count of t/],
            [{ source: { systemIdentifier: "x", database: "kline" } }, /source identity/],
        ] as const) {
            assert.throws(
                () => parseMetadata(name, meta(extra)),
                (e: unknown) => e instanceof BackupError && e.code === EXIT.integrity && why.test(e.message),
            );
        }
        assert.equal(
            parseMetadata(name, meta({ format_version: undefined, source: undefined })).source,
            undefined,
            "first-format metadata",
        );
    });

    it("compares system identifier and database name, not the host", () => {
        const recorded = { systemIdentifier: "1", database: "kline", host: "db-a", port: 5432 };
        assert.equal(sourceMismatch(recorded, { systemIdentifier: "1", database: "kline" }), undefined);
        assert.match(sourceMismatch(recorded, { systemIdentifier: "2", database: "kline" })!, /system identifier 1, this server's is 2/);
        assert.match(sourceMismatch(recorded, { systemIdentifier: "1", database: "other" })!, /database "kline", this source is "other"/);
        assert.match(sourceMismatch(undefined, { systemIdentifier: "1", database: "kline" })!, /records no source database/);
    });
});

/** A bucket in memory that, like S3 with If-None-Match: *, refuses to write a key twice. */
class MemoryStore implements ObjectStore {
    readonly where = "s3://memory/";
    readonly objects = new Map<string, { body: Buffer; at: number }>();
    clock = Date.UTC(2024, 0, 1);
    async list(prefix: string): Promise<ObjectInfo[]> {
        return [...this.objects]
            .filter(([k]) => k.startsWith(prefix))
            .map(([name, o]) => ({ name, size: o.body.length, lastModified: o.at }));
    }
    async get(name: string): Promise<Buffer | undefined> {
        return this.objects.get(name)?.body;
    }
    async putOnce(name: string, body: Buffer): Promise<void> {
        await Promise.resolve(); // let concurrent takers interleave as requests would
        if (this.objects.has(name)) throw new AlreadyExists(name, 412);
        this.objects.set(name, { body, at: this.clock });
    }
}

describe("logical backups: the lock", () => {
    const quiet = () => undefined;
    const settings = (owner: string, ttlSeconds = 600) => ({ owner, ttlSeconds });

    it("of many simultaneous takers exactly one wins; release lets the next one in", async () => {
        const store = new MemoryStore();
        const now = () => store.clock;
        const results = await Promise.allSettled(["a", "b", "c", "d"].map((o) => BackupLock.acquire(store, settings(o), quiet, now)));
        const won = results.filter((r) => r.status === "fulfilled") as PromiseFulfilledResult<BackupLock>[];
        assert.equal(won.length, 1);
        for (const r of results.filter((x) => x.status === "rejected") as PromiseRejectedResult[]) {
            assert.equal(r.reason.code, EXIT.locked);
            assert.match(
                r.reason.message,
                /another backup holds the lock s3:\/\/memory\/\.locks\/backup\.lock\.000000000001 \(owner [a-d], expires 2024-01-01T00:10:00Z\)/,
            );
        }
        assert.equal(await won[0].value.release(), true);
        const next = await BackupLock.acquire(store, settings("e"), quiet, now);
        assert.equal(next.seq, 3);
        assert.deepEqual([...store.objects.keys()], [lockKey(1), lockKey(2), lockKey(3)], "every change of hands is a new object");
    });

    it("a dead backup's lock expires after its TTL; the same owner may take it over at once", async () => {
        const store = new MemoryStore();
        const logged: string[] = [];
        await BackupLock.acquire(store, settings("job-1", 60), quiet, () => store.clock);
        await assert.rejects(
            BackupLock.acquire(store, settings("job-2", 60), quiet, () => store.clock + 59_000),
            /holds the lock/,
        );
        const takeAt = (owner: string, ms: number) =>
            BackupLock.acquire(
                store,
                settings(owner, 60),
                (l) => logged.push(l),
                () => store.clock + ms,
            );
        assert.equal((await takeAt("job-1", 1000)).seq, 2);
        assert.deepEqual(logged, ["taking over our own stale lock (owner job-1)"]);
        assert.equal((await takeAt("job-2", 62_000)).seq, 3);
        assert.match(logged[1], /^lock of job-1 expired at 2024-01-01T00:01:01Z; taking it over$/);
    });

    it("a forged lock cannot block backups longer than the longest TTL after S3 stored it", () => {
        const forged = { owner: "x", state: "held" as const, expires: 9e15, at: "" };
        const stored = Date.UTC(2024, 0, 1);
        const max = LIMITS.lockTtlSeconds.max * 1000;
        assert.equal(blockedBy(forged, stored, "me", 600, stored + max - 1000).blocked, true);
        assert.equal(blockedBy(forged, stored, "me", 600, stored + max + 1000).blocked, false);
        assert.equal(blockedBy(parseLockRecord(Buffer.from("garbage")), stored, "me", 600, stored + 599_000).blocked, true);
        assert.equal(blockedBy(parseLockRecord(Buffer.from("garbage")), stored, "me", 600, stored + 601_000).blocked, false);
    });

    it("finds the newest generation by number, ignoring other keys", () => {
        const objs = listing([
            [lockKey(9), 1],
            [lockKey(10), 2],
            [".locks/backup.lock.12", 3],
            [".locks/other", 4],
        ]);
        assert.equal(newestGeneration(objs)?.seq, 10);
        assert.equal(newestGeneration([]), undefined);
    });
});

describe("the program's clean-up on exit and on a signal", () => {
    it("runs every step newest first, logs a failing one and goes on", async () => {
        const cleanup = new Cleanup();
        const done: string[] = [];
        const logged: string[] = [];
        cleanup.add("first", () => void done.push("first"));
        const keep = cleanup.add("kept", () => void done.push("kept"));
        cleanup.add("broken", () => {
            throw new Error("boom");
        });
        cleanup.add("last", async () => void done.push("last"));
        keep();
        await cleanup.runAll((l) => logged.push(l));
        assert.deepEqual(done, ["last", "first"]);
        assert.deepEqual(logged, ["WARNING: broken failed: boom"]);
    });

    it("makes a second caller wait for a run under way, so the process cannot exit before a step finishes", async () => {
        const cleanup = new Cleanup();
        let release!: () => void;
        let released = false;
        cleanup.add("releasing the lock", () => new Promise<void>((r) => (release = r)).then(() => void (released = true)));
        const bySignal = cleanup.runAll(() => undefined);
        let secondDone = false;
        const byCommand = cleanup.runAll(() => undefined).then(() => (secondDone = true));
        await new Promise((r) => setImmediate(r));
        assert.equal(secondDone, false, "the command's own clean-up waits for the signal's");
        release();
        await Promise.all([bySignal, byCommand]);
        assert.ok(released && secondDone);
    });
});
