// Point-in-time recovery on real servers: PostgreSQL 15 archiving WAL through Debian's pgBackRest
// 2.45 into MinIO over TLS, with the pgbackrest.conf and archive settings the program renders, the
// agent the database pod runs (images/postgres/pitr-agent.sh) and the operator's scripts/pitr.sh.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PITR_STANZA } from "../../config/pitr";
import { agentEnv } from "../../components/backup/pitr-config";
import { requireTool } from "../lib/tools";
import { spawnSync } from "child_process";
import { ArchivingPostgres, PGBACKREST_HINT, RunResult, TlsMinio, ownedDir, pgBinDir, readableCopy, runAs } from "./pitr-servers";

const ROOT = path.join(__dirname, "..", "..");
// The scripts under test, relative to the repository root. The database's OS user runs copies of
// them (readableCopy): the clone itself may sit in a folder only root can enter.
const SCRIPTS = { agent: "images/postgres/pitr-agent.sh", pitr: "scripts/pitr.sh", entry: "scripts/backup-restore.sh" };
const BUCKET = "kline-pitr-test";
const PREFIX = "pgbackrest/";

/** Content fingerprint of the test tables: md5 of every row in key order. */
const FINGERPRINT = `select md5(coalesce((select string_agg(format('%s|%s|%s', id, symbol, price), ',' order by id) from trades), '')
    || '#' || coalesce((select string_agg(format('%s|%s', id, note), ',' order by id) from notes), ''))`;

function metrics(file: string): Map<string, number> {
    const m = new Map<string, number>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const hit = /^([a-z_]+(?:\{[^}]*\})?) (-?[0-9.e+]+)$/.exec(line);
        if (hit) m.set(hit[1], Number(hit[2]));
    }
    return m;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (from: number) => ((Date.now() - from) / 1000).toFixed(1);

describe("backup: point-in-time recovery with pgBackRest (real PostgreSQL 15, MinIO with TLS)", function () {
    this.timeout(600_000);
    let minio: TlsMinio;
    let pg: ArchivingPostgres;
    let metricsDir: string;
    let restoreRoot: string;
    let scripts: string;
    const suiteStart = Date.now();

    /** One round of the agent, as the pod runs it, with these schedule intervals (seconds). */
    function agentRound(schedule: { full: number; incr: number; verify: number }): RunResult {
        const env = {
            ...pg.env,
            ...agentEnv({
                stanza: PITR_STANZA,
                fullEverySeconds: schedule.full,
                incrementalEverySeconds: schedule.incr,
                verifyEverySeconds: schedule.verify,
                pgdata: pg.dataDir,
                metricsDir,
            }),
            PITR_PG_SOCKET: pg.dir,
            PITR_PG_PORT: String(pg.port),
            PITR_AGENT_ONCE: "1",
            PATH: `${path.dirname(requireTool("pgbackrest", PGBACKREST_HINT))}:${pgBinDir()}:${process.env.PATH}`,
        };
        const r = runAs("bash", [path.join(scripts, SCRIPTS.agent)], env);
        assert.equal(r.status, 0, `agent round failed:\n${r.stdout}${r.stderr}`);
        return r;
    }

    function pitrSh(args: string[], env: Record<string, string> = {}): RunResult {
        return runAs("bash", [path.join(scripts, SCRIPTS.pitr), ...args], {
            ...pg.env,
            PG_BINDIR: pgBinDir(),
            PITR_STANZA,
            PITR_RECOVERY_TIMEOUT: "120",
            ...env,
        });
    }

    /** scripts/backup-restore.sh, the operator's entry point, here (pgbackrest is on PATH). */
    function entry(args: string[]): RunResult {
        return runAs("bash", [path.join(scripts, SCRIPTS.entry), ...args], {
            ...pg.env,
            PG_BINDIR: pgBinDir(),
            PITR_STANZA,
            PITR_RECOVERY_TIMEOUT: "120",
        });
    }

    before(async function () {
        requireTool("pgbackrest", PGBACKREST_HINT);
        requireTool("jq", "apt-get install jq");
        minio = await TlsMinio.create();
        await minio.createBucket(BUCKET);
        pg = await ArchivingPostgres.create({
            stanza: PITR_STANZA,
            repository: minio.repository(BUCKET, PREFIX),
            retentionDays: 7,
            serverEnv: minio.credentialsEnv(),
        });
        metricsDir = ownedDir("kline-pitr-metrics-");
        restoreRoot = ownedDir("kline-pitr-restore-");
        scripts = readableCopy(ROOT, Object.values(SCRIPTS));
        // ~25 MB of market data that does not change, and a small table that does.
        pg.psql(`create table trades (id bigint primary key, symbol text not null, price numeric(12,4) not null);
            insert into trades select g, 'SYM' || (g % 500), (g % 9973) / 7.0 from generate_series(1, 300000) g;
            create table notes (id int primary key, note text not null);
            insert into notes select g, 'note ' || g from generate_series(1, 100) g;`);
        // Settle the pages now (hint bits, visibility map): otherwise autovacuum rewrites the freshly
        // loaded table between the full and the incremental backup, and the incremental copies it whole.
        pg.psql("alter table trades set (autovacuum_enabled = off); alter table notes set (autovacuum_enabled = off);");
        pg.psql("vacuum (freeze, analyze) trades; vacuum (freeze, analyze) notes; checkpoint;");
    });

    after(async function () {
        pg?.destroy();
        await minio?.destroy();
        for (const d of [metricsDir, restoreRoot, scripts]) if (d) fs.rmSync(d, { recursive: true, force: true });
        console.log(`      PITR suite on real servers: ${seconds(suiteStart)} s`);
    });

    it("the agent creates the stanza, archives WAL and takes the first full backup; its metrics say so", async function () {
        const started = Date.now();
        const r = agentRound({ full: 604800, incr: 86400, verify: 604800 });
        assert.match(r.stdout, /starting a full backup/);
        const info = pg.info();
        assert.deepEqual(
            info.backup.map((b: any) => b.type),
            ["full"],
        );
        await pg.archiveCurrentWal();
        assert.ok(Number(pg.psql("select archived_count from pg_stat_archiver")) >= 1, "WAL was archived through pgBackRest");
        // Segments finished before the stanza existed failed to archive and were retried; since then none failed.
        assert.equal(pg.psql("select last_failed_time is null or last_archived_time > last_failed_time from pg_stat_archiver"), "t");
        const m = metrics(path.join(metricsDir, "metrics.txt"));
        assert.equal(m.get(`kline_pitr_backup_last_success_timestamp_seconds{type="full"}`), info.backup[0].timestamp.stop);
        assert.equal(m.get("kline_pitr_repository_up"), 1);
        assert.equal(m.get("kline_pitr_backups"), 1);
        assert.equal(m.get("kline_pitr_backup_last_attempt_failed"), 0);
        // The repository lives under its own prefix only.
        const keys = (await minio.list(BUCKET, "")).map((o) => o.key);
        assert.ok(
            keys.length > 10 && keys.every((k) => k.startsWith(PREFIX)),
            `keys outside ${PREFIX}: ${keys.filter((k) => !k.startsWith(PREFIX))}`,
        );
        console.log(
            `      full backup of a ${(info.backup[0].info.size / 1048576).toFixed(1)} MiB cluster: ${(info.backup[0].info.repository.delta / 1048576).toFixed(1)} MiB stored, ${seconds(started)} s`,
        );
    });

    it("an incremental backup after a small change stores a small fraction of the full one", function () {
        pg.psql("update notes set note = note || ' (edited)' where id <= 5");
        const started = Date.now();
        // Not yet due: nothing happens.
        assert.doesNotMatch(agentRound({ full: 604800, incr: 86400, verify: 604800 }).stdout, /starting/);
        const r = agentRound({ full: 604800, incr: 1, verify: 604800 });
        assert.match(r.stdout, /starting a incr backup/);
        const [full, incr] = pg.info().backup;
        assert.equal(incr.type, "incr");
        assert.equal(incr.reference?.[0] ?? incr.prior, full.label);
        const ratio = incr.info.repository.delta / full.info.repository.delta;
        console.log(
            `      incremental: ${(incr.info.repository.delta / 1024).toFixed(0)} KiB stored vs full ${(full.info.repository.delta / 1024).toFixed(0)} KiB (${(ratio * 100).toFixed(2)}%), ${seconds(started)} s`,
        );
        assert.ok(ratio < 0.05, `the incremental stored ${(ratio * 100).toFixed(1)}% of the full backup`);
        const m = metrics(path.join(metricsDir, "metrics.txt"));
        assert.equal(m.get(`kline_pitr_backup_last_success_timestamp_seconds{type="incr"}`), incr.timestamp.stop);
    });

    it("a restore to an instant between two transactions gives exactly that state, and the copy never archives", async function () {
        pg.psql("begin; insert into trades values (300001, 'AAA', 1.5); update notes set note = 'first' where id = 50; commit;");
        await sleep(1100);
        const target = new Date().toISOString();
        const atTarget = pg.psql(FINGERPRINT);
        await sleep(1100);
        pg.psql(
            "begin; insert into trades values (300002, 'BBB', 2.5); update notes set note = 'second' where id = 50; delete from trades where id = 7; commit;",
        );
        const after = pg.psql(FINGERPRINT);
        assert.notEqual(after, atTarget, "the second transaction changed the content");
        await pg.archiveCurrentWal();

        const window = JSON.parse(pitrSh(["window", "--json"]).stdout);
        assert.ok(Date.parse(window.start) <= Date.parse(target) && Date.parse(target) <= Date.parse(window.end), JSON.stringify(window));
        assert.deepEqual(
            window.backups.map((b: any) => b.type),
            ["full", "incr"],
        );

        const archiveBefore = await minio.list(BUCKET, `${PREFIX}archive/`);
        const dataDir = path.join(restoreRoot, "copy");
        const port = pg.port + 1;
        const started = Date.now();
        const r = pitrSh(["restore", "--target", target, "--data-dir", dataDir, "--port", String(port), "--keep-running"]);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        try {
            const socket = /running on socket (\S+) port/.exec(r.stdout)![1];
            const restored = pg.psql(FINGERPRINT, { socket, port });
            console.log(`      restored to ${target} in ${seconds(started)} s; fingerprint ${restored} (live now ${after})`);
            assert.equal(restored, atTarget, "the copy holds exactly the state at the target instant");
            assert.equal(pg.psql("select pg_is_in_recovery()", { socket, port }), "f");
            assert.equal(pg.psql("show archive_mode", { socket, port }), "off");
            assert.match(r.stdout, /recovery stopping before commit of transaction \d+, time /);
            assert.match(r.stdout, /postgres\.public\.trades rows=300001/);
            // The copy promotes to a new timeline; with archiving off nothing of it reaches the repository.
            pg.psql("create table written_in_copy as select 1; select pg_switch_wal();", { socket, port });
            await sleep(1500);
        } finally {
            runAs(path.join(pgBinDir(), "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], {});
        }
        const archiveAfter = await minio.list(BUCKET, `${PREFIX}archive/`);
        assert.ok(!archiveAfter.some((o) => /\/00000002/.test(o.key)), "the restored copy wrote into the live repository");
        assert.deepEqual(archiveAfter, archiveBefore);
        assert.equal(pg.psql(FINGERPRINT), after, "the live database is untouched");
    });

    it("backup-restore.sh pitr-window and pitr-restore (the entry point) restore to an instant and verify it", async function () {
        pg.psql("begin; update notes set note = 'third' where id = 51; insert into trades values (300003, 'CCC', 3.5); commit;");
        await sleep(1100);
        const target = new Date().toISOString();
        const atTarget = pg.psql(FINGERPRINT);
        await sleep(1100);
        pg.psql("begin; update notes set note = 'fourth' where id = 51; delete from trades where id between 10 and 19; commit;");
        const after = pg.psql(FINGERPRINT);
        assert.notEqual(after, atTarget);
        await pg.archiveCurrentWal();

        const w = entry(["pitr-window", "--json"]);
        assert.equal(w.status, 0, `${w.stdout}${w.stderr}`);
        const window = JSON.parse(w.stdout);
        assert.equal(window.stanza, PITR_STANZA);
        assert.ok(Date.parse(window.start) <= Date.parse(target) && Date.parse(target) <= Date.parse(window.end), w.stdout);
        const text = entry(["pitr-window"]);
        assert.match(text.stdout, new RegExp(`stanza ${PITR_STANZA}: any instant from \\S+Z to \\S+Z can be restored`));

        const dataDir = path.join(restoreRoot, "entry-copy");
        const port = pg.port + 2;
        const started = Date.now();
        const r = entry(["pitr-restore", "--to", target, "--data-dir", dataDir, "--port", String(port), "--keep-running"]);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        try {
            const socket = /running on socket (\S+) port/.exec(r.stdout)![1];
            assert.equal(pg.psql(FINGERPRINT, { socket, port }), atTarget, "the copy holds exactly the state at the instant");
            console.log(`      backup-restore.sh pitr-restore to ${target}: ${seconds(started)} s`);
            // The verification it prints: where recovery stopped and the exact row count of every table.
            assert.match(r.stdout, /recovery stopping before commit of transaction \d+, time /);
            assert.match(r.stdout, /postgres\.public\.trades rows=300002\n/);
            assert.match(r.stdout, /postgres\.public\.notes rows=100\n/);
        } finally {
            runAs(path.join(pgBinDir(), "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], {});
        }
        // The same directory again, now not empty: refused; and the live data directory: refused.
        const again = entry(["pitr-restore", "--to", target, "--data-dir", dataDir]);
        assert.equal(again.status, 4, again.stderr);
        assert.match(again.stderr, /is not empty/);
        const live = entry(["pitr-restore", "--to", target, "--data-dir", path.join(pg.dataDir, "copy")]);
        assert.equal(live.status, 4, live.stderr);
        assert.match(live.stderr, /lies inside the live data directory/);
        assert.equal(pg.psql(FINGERPRINT), after, "the live database is untouched");
    });

    it("pitr.sh refuses instants outside the window, a non-empty directory and missing values", function () {
        const before = pitrSh(["restore", "--target", "2001-01-01T00:00:00Z", "--data-dir", path.join(restoreRoot, "old")]);
        assert.equal(before.status, 3, before.stderr);
        assert.match(before.stderr, /is before the window: the oldest kept backup ended at/);
        const future = new Date(Date.now() + 3600_000).toISOString();
        const late = pitrSh(["restore", "--target", future, "--data-dir", path.join(restoreRoot, "late")]);
        assert.equal(late.status, 3, late.stderr);
        assert.match(late.stderr, /is after the newest archived WAL segment/);
        const busy = pitrSh(["restore", "--target", new Date().toISOString(), "--data-dir", pg.dataDir]);
        assert.equal(busy.status, 4, busy.stderr);
        assert.match(busy.stderr, /is not empty: a point-in-time restore goes into a new, empty directory/);
        const missing = pitrSh(["restore", "--target", "--data-dir", "/tmp/x"]);
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /--target needs a value/);
        const bad = pitrSh(["restore", "--target", "yesterday", "--data-dir", "/tmp/x"]);
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /an RFC 3339 instant with a zone/);
    });

    it("a corrupted repository file is found by verification (which exits 0) and stops a restore", async function () {
        // Silent case first: a clean repository reports no problem.
        agentRound({ full: 604800, incr: 86400, verify: 1 });
        let m = metrics(path.join(metricsDir, "metrics.txt"));
        assert.equal(m.get("kline_pitr_verify_problems"), 0);

        // The largest file of the full backup that the newest backup takes from it (not a copy of its own).
        const backups = pg.info().backup;
        const files = async (label: string) =>
            (await minio.list(BUCKET, `${PREFIX}backup/${PITR_STANZA}/${label}/pg_data/base/`)).map((o) => ({
                ...o,
                rel: o.key.split("/pg_data/")[1],
            }));
        const own = new Set((await files(backups.at(-1).label)).map((f) => f.rel));
        const largest = (await files(backups[0].label)).filter((f) => !own.has(f.rel)).sort((a, b) => b.size - a.size)[0].key;
        const bytes = await minio.get(BUCKET, largest);
        bytes[Math.floor(bytes.length / 2)] ^= 0xff;
        await minio.put(BUCKET, largest, bytes);

        const verify = pg.pgbackrest(["--verbose", "verify"]);
        assert.equal(verify.status, 0, "pgBackRest 2.45's verify exits 0 even when it finds a bad file");
        assert.match(verify.stdout, /invalid checksum '.*\.zst'/);

        const r = agentRound({ full: 604800, incr: 86400, verify: 1 });
        assert.match(r.stdout, /verify reported \d+ problem\(s\)/);
        m = metrics(path.join(metricsDir, "metrics.txt"));
        assert.ok((m.get("kline_pitr_verify_problems") ?? 0) >= 1, `metrics: ${[...m]}`);

        const window = JSON.parse(pitrSh(["window", "--json"]).stdout);
        const inside = new Date((Date.parse(window.start) + Date.parse(window.end)) / 2).toISOString();
        // No retries of the bad file (pgBackRest waits 15 s before its second try).
        const restore = pitrSh(["restore", "--target", inside, "--data-dir", path.join(restoreRoot, "bad"), "--no-start"], {
            PGBACKREST_JOB_RETRY: "0",
        });
        assert.equal(restore.status, 5, `${restore.stdout}${restore.stderr}`);
        // Which check trips depends on the byte: the file checksum or zstd's own frame check.
        assert.match(`${restore.stdout}${restore.stderr}`, /does not match expected checksum|zst error: .*Data corruption detected/);
    });
});

describe("backup: the PITR scripts pass shellcheck", function () {
    it("scripts/pitr.sh and images/postgres/pitr-agent.sh", function () {
        const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/backup.txt)");
        const r = spawnSync(shellcheck, ["--severity=style", SCRIPTS.pitr, SCRIPTS.agent], { cwd: ROOT, encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout);
    });
});

describe("backup: pgBackRest retention keeps what the replay window needs (real PostgreSQL 15, libfaketime)", function () {
    this.timeout(300_000);
    const FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
    let pg: ArchivingPostgres;
    let repo: string;
    let clock: string;

    before(async function () {
        requireTool("pgbackrest", PGBACKREST_HINT);
        requireTool("faketime", "apt-get install faketime (listed in .ci/apt/backup.txt)");
        if (!fs.existsSync(FAKETIME_LIB))
            throw new Error(`${FAKETIME_LIB} is missing: apt-get install faketime (listed in .ci/apt/backup.txt)`);
        repo = ownedDir("kline-pitr-posix-");
        clock = path.join(repo, "faketime.rc");
        fs.writeFileSync(clock, "-20d\n");
        fs.chmodSync(clock, 0o644);
        // S3 signatures carry the time, so days of backups are faked against a posix repository:
        // retention is pgBackRest's own logic, the same for either repository type.
        pg = await ArchivingPostgres.create({
            stanza: "retention",
            repository: { bucket: "unused", region: "us-east-1", prefix: "unused/", keyType: "shared" },
            retentionDays: 7,
            serverEnv: { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: clock, FAKETIME_CACHE_DURATION: "1" },
        });
        // The program's configuration with the repository swapped for a local directory.
        const conf = fs
            .readFileSync(pg.configFile, "utf8")
            .split("\n")
            .filter((l) => !l.startsWith("repo1-") || l.startsWith("repo1-retention"))
            .join("\n")
            .replace("[global]", `[global]\nrepo1-type=posix\nrepo1-path=${path.join(repo, "repo")}`);
        fs.writeFileSync(pg.configFile, conf);
        pg.stop();
        pg.start();
        const r = pg.pgbackrest(["stanza-create"]);
        assert.equal(r.status, 0, r.stderr);
    });

    /** libfaketime re-reads the clock file at most once a second per process: wait until the server's day is `day`. */
    async function untilServerDay(day: string): Promise<void> {
        const deadline = Date.now() + 15_000;
        while (pg.psql("select to_char(now() at time zone 'UTC', 'YYYY-MM-DD')") !== day) {
            if (Date.now() > deadline) throw new Error(`the server's clock did not move to ${day}`);
            await sleep(200);
        }
    }

    after(function () {
        pg?.destroy();
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    it("with 7 days kept: the full backup older than the window goes, the newest one older than 7 days stays with its WAL", async function () {
        const started = Date.now();
        const labels: Record<string, string> = {};
        for (const [offset, type] of [
            ["-20d", "full"],
            ["-10d", "full"],
            ["-9d", "incr"],
            ["-1d", "full"],
        ] as const) {
            fs.writeFileSync(clock, `${offset}\n`);
            const day = new Date(Date.now() - Number(offset.slice(1, -1)) * 86400_000).toISOString().slice(0, 10);
            await untilServerDay(day);
            pg.psql(`create table if not exists ticks (at timestamptz); insert into ticks values (now());`);
            const r = pg.pgbackrest([`--type=${type}`, "backup"]);
            assert.equal(r.status, 0, r.stderr);
            labels[offset] = pg.info().backup.at(-1).label;
            // pgBackRest takes the backup's time from the server: the label carries the faked day.
            assert.match(labels[offset], new RegExp(`(^|_)${day.replace(/-/g, "")}-\\d{6}${type === "full" ? "F" : "I"}$`));
        }
        const info = pg.info();
        const kept = info.backup.map((b: any) => b.label);
        console.log(`      kept after the last backup's expire: ${kept.join(", ")} (${seconds(started)} s)`);
        assert.deepEqual(kept, [labels["-10d"], labels["-9d"], labels["-1d"]], "the -20d full backup expired, the rest is kept");
        // The newest full backup older than 7 days is what covers the window's start: its WAL stays, older WAL goes.
        const kept10 = info.backup[0];
        assert.equal(info.archive[0].min, kept10.archive.start, "archive retention starts at the oldest kept backup");
        // Expire again at the real time (as the agent does after each backup): nothing the window needs goes.
        fs.writeFileSync(clock, "+0d\n");
        await untilServerDay(new Date().toISOString().slice(0, 10));
        const again = pg.pgbackrest(["expire"]);
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(
            pg.info().backup.map((b: any) => b.label),
            kept,
        );
    });
});
