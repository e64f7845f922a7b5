// npm run bench:backup — both backup tiers on one database, against pg_dump measured in the same run.
//
// Starts PostgreSQL 15 archiving WAL through pgBackRest into MinIO over TLS (the configuration the
// program renders, as tests/backup/pitr.integration.test.ts does), a second MinIO for the logical
// tier, generates one database (default scale 40, about 2.2 GiB on disk; candles, signals and orders
// partitioned by time as a kline store of that size is, or with --flat one table each) and measures:
//   (a)  pg_dump > /dev/null                   the floor: reading the database at all
//   (a2) pg_dump -Fc -Z0 > file                the dump file the plain pg_restore (f) reads
//   (b)  pg_dump | gzip -6 > /dev/null         the naive pipeline
//   (c)  backup-restore.sh backup              logical: lock, dump -> zstd -> sha256 -> S3, sidecars
//   (d)  backup-restore.sh restore             logical: download, sha256, pg_restore, row counts
//   (e)  backup-restore.sh backup of an almost empty database (median of 3): the fixed overhead
//   (f)  pg_restore of the file (a2) into a new database (one session, as (d))
//   (g)  pgbackrest backup --type=full
//   (h)  pgbackrest backup --type=incr after updating 1% of the rows of the biggest tables, all
//        in the newest 1% of each table (clustered: the newest candles, signals and orders change)
//   (i)  pgbackrest backup --type=incr after updating 1% of the rows spread over every table's pages
//   (j)  backup-restore.sh pitr-restore to an instant after (i): restore, WAL replay, start, row counts
// (a), (c), (d) and (f) run --repeat times (default 3), interleaved, and count by their median: on a
// small shared machine one run of a step varies by a quarter. Every timed step starts once WAL
// archiving has caught up, so no step pays for the archiving of the one before.
// It prints wall time, throughput (database size / time), the logical tier's streaming throughput
// ((c) minus (e)), stored sizes, the peak resident memory of each step's process tree (servers
// excluded), and each target as met or NOT met:
//   logical streaming >= 0.8 x (a); fixed overhead (e) <= 1.5 s; incremental (i) <= 20% of (g)'s time;
//   logical restore (d) at least as fast as (f).
// Options: `npm run bench:backup -- [--scale <n>] [--repeat <n>] [--flat]` (or BENCH_SCALE; scale 1 ~
// 55 MiB). The logical tier runs the compiled program, as the image does.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PITR_STANZA } from "../config/pitr";
import { MinioServer } from "../tests/backup/lib/minio";
import { buildProgram } from "../tests/backup/lib/program";
import { SCRIPT } from "../tests/backup/lib/run-script";
import { seedSql } from "../tests/backup/lib/seed";
import { ArchivingPostgres, PGBACKREST_HINT, TlsMinio, asDatabaseUser, ownedDir, pgBinDir } from "../tests/backup/pitr-servers";
import { requireTool } from "../tests/lib/tools";

const DB = "kline_bench";
const BUCKET = "kline-bench";
const PITR_BUCKET = "kline-bench-pitr";
const MB = 1024 * 1024;

export interface Measured {
    seconds: number;
    peakRssBytes: number;
    stdout: string;
    /** Busy CPU time of the whole machine during the step (servers included), in core-seconds. */
    cpuSeconds?: number;
}

/** Busy CPU time of the machine so far, in seconds (all cores; /proc/stat's user to softirq, and steal). */
function machineCpu(): number {
    const [user, nice, system, , , irq, softirq, steal] = fs
        .readFileSync("/proc/stat", "utf8")
        .split("\n")[0]
        .trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
    return (user + nice + system + irq + softirq + (steal ?? 0)) / 100; // USER_HZ is 100 on Linux
}

/** Sum of VmRSS over `root` and all its descendants, read from /proc. */
function treeRss(root: number): number {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
        } catch {
            /* exited meanwhile */
        }
    }
    let total = 0;
    const queue = [root];
    while (queue.length) {
        const pid = queue.pop()!;
        try {
            const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
            if (m) total += Number(m[1]) * 1024;
        } catch {
            /* exited meanwhile */
        }
        queue.push(...(children.get(pid) ?? []));
    }
    return total;
}

function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const cpuAtStart = machineCpu();
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, treeRss(child.pid!))), 50);
        child.on("close", (code) => {
            clearInterval(sampler);
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const cpuSeconds = machineCpu() - cpuAtStart;
            if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${stdout}${stderr}`));
            else {
                // Progress as each step ends, so a long run that is stopped still says what it measured.
                process.stderr.write(`  ${seconds.toFixed(2)} s  ${[path.basename(command), ...args].join(" ").slice(0, 140)}\n`);
                resolve({ seconds, peakRssBytes: peak, stdout, cpuSeconds });
            }
        });
    });
}

const sh = (script: string, env: NodeJS.ProcessEnv) => measure("bash", ["-o", "pipefail", "-c", script], env);

/** As the database's OS user (pgBackRest and the restored server refuse root). */
function measureAs(command: string, args: string[], env: Record<string, string>): Promise<Measured> {
    const [file, argv] = asDatabaseUser(command, args, env);
    return measure(file, argv, { ...process.env, ...env });
}

const USAGE =
    "usage: npm run bench:backup -- [--scale <n>] [--repeat <n>] [--flat]   (or BENCH_SCALE; scale 1 ~ 55 MiB, default 40 ~ 2.2 GiB; repeat default 3)";

interface BenchArgs {
    scale: number;
    repeat: number;
    flat: boolean;
}

/** --scale <n> (or BENCH_SCALE): the size of the database; --repeat <n>: runs of the compared steps; --flat. */
export function benchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs | "help" {
    if (argv.includes("--help") || argv.includes("-h")) return "help";
    const out: BenchArgs = { scale: 40, repeat: 3, flat: false };
    let scaleText = env.BENCH_SCALE;
    let repeatText: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--flat") out.flat = true;
        else if (a === "--scale" || a === "--repeat") {
            const v = argv[i + 1];
            if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value; ${USAGE}`);
            if (a === "--scale") scaleText = v;
            else repeatText = v;
            i++;
        } else throw new Error(`unknown argument ${a}; ${USAGE}`);
    }
    if (scaleText !== undefined) {
        const n = Number(scaleText);
        if (!/^\d+(\.\d+)?$/.test(scaleText) || !(n >= 0.1 && n <= 100)) {
            throw new Error(`--scale needs a number from 0.1 to 100 (got '${scaleText}'); 1 ~ 55 MiB`);
        }
        out.scale = n;
    }
    if (repeatText !== undefined) {
        if (!/^\d{1,2}$/.test(repeatText) || !(Number(repeatText) >= 1 && Number(repeatText) <= 9)) {
            throw new Error(`--repeat needs a whole number from 1 to 9 (got '${repeatText}')`);
        }
        out.repeat = Number(repeatText);
    }
    return out;
}

/** The run with the median time (of an even count, the lower middle one). */
export function median(xs: Measured[]): Measured {
    if (!xs.length) throw new Error("median of no runs");
    return [...xs].sort((x, y) => x.seconds - y.seconds)[Math.floor((xs.length - 1) / 2)];
}

const runs = (xs: Measured[]) => xs.map((m) => m.seconds.toFixed(1)).join(", ");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const since = (t: number) => `${((Date.now() - t) / 1000).toFixed(0)} s`;

async function main(): Promise<void> {
    const parsed = benchArgs(process.argv.slice(2));
    if (parsed === "help") {
        console.log(USAGE);
        return;
    }
    const { scale, repeat, flat } = parsed;
    const t0 = Date.now();
    const pitrS3 = await TlsMinio.create();
    const s3 = await MinioServer.create();
    let pg: ArchivingPostgres | undefined;
    const home = fs.mkdtempSync("/tmp/kline-bench-");
    const restoreRoot = ownedDir("kline-bench-pitr-");
    try {
        await pitrS3.createBucket(PITR_BUCKET);
        await s3.client.createBucket(BUCKET);
        pg = await ArchivingPostgres.create({
            stanza: PITR_STANZA,
            repository: pitrS3.repository(PITR_BUCKET, "pgbackrest/"),
            retentionDays: 7,
            serverEnv: pitrS3.credentialsEnv(),
        });
        const db = pg;
        const stanza = db.pgbackrest(["stanza-create"]);
        if (stanza.status !== 0) throw new Error(`stanza-create failed: ${stanza.stderr}`);
        db.psql(`CREATE DATABASE ${DB}`);
        db.psql(seedSql(scale, { partitioned: !flat }), { database: DB });
        // A settled database, as one that has run for a while is: hint bits set and pages frozen now,
        // so that no backup below copies pages only because vacuum rewrote them in between.
        db.psql("VACUUM (FREEZE, ANALYZE); CHECKPOINT;", { database: DB });
        db.psql(`CREATE DATABASE ${DB}_empty`);
        db.psql("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one row');", {
            database: `${DB}_empty`,
        });
        await db.archiveCurrentWal(1_800_000);
        const dbBytes = Number(db.psql(`SELECT pg_database_size('${DB}')`));
        const clusterBytes = Number(db.psql("SELECT sum(pg_database_size(datname)) FROM pg_database"));
        const rows = db.psql("SELECT sum(n_live_tup) FROM pg_stat_user_tables", { database: DB });
        const layout = flat ? "one table each" : "candles, signals and orders partitioned by time";
        console.log(
            `generated ${DB} (${layout}): ${(dbBytes / MB).toFixed(0)} MiB, ${rows} rows; cluster ${(clusterBytes / MB).toFixed(0)} MiB; WAL archived; ${since(t0)}`,
        );
        if (dbBytes < 2 * 1024 * MB) console.log(`note: below the 2 GiB the targets are stated for (--scale ${scale})`);

        const env: NodeJS.ProcessEnv = {
            PATH: process.env.PATH,
            HOME: home,
            LANG: "C.UTF-8",
            PGHOST: db.dir,
            PGPORT: String(db.port),
            PGUSER: db.user,
            PGDATABASE: DB,
            ...s3.env(),
            BACKUP_S3_BUCKET: BUCKET,
            BACKUP_S3_PREFIX: "backups/",
            BACKUP_WORK_DIR: home,
            BACKUP_PROGRAM: buildProgram(),
            // BACKUP_ZSTD_LEVEL, BACKUP_CONCURRENCY, ... from the caller, to compare settings.
            ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("BACKUP_"))),
        };

        // Each step starts with WAL archiving caught up (a restore writes gigabytes of WAL).
        const quiet = () => db.archiveCurrentWal(1_800_000);
        // Warm the page cache once so that no measurement pays for the first read of the tables.
        await sh("pg_dump > /dev/null", env);
        const aRuns: Measured[] = [];
        const cRuns: Measured[] = [];
        let name = "";
        for (let r = 0; r < repeat; r++) {
            await quiet();
            aRuns.push(await sh("pg_dump > /dev/null", env));
            await quiet();
            const run = await measure("bash", [SCRIPT, "backup"], env);
            cRuns.push(run);
            name = run.stdout.trim();
            await sleep(1100); // one backup name per second
        }
        const a = median(aRuns);
        const c = median(cRuns);
        await quiet();
        const a2 = await sh(`pg_dump --format=custom --compress=0 --file=${home}/plain.dump`, env);
        await quiet();
        const b = await sh(`pg_dump | gzip -6 | tee >(wc -c > ${home}/gzip.size) > /dev/null`, env);
        console.log(`pg_dump steps done; ${since(t0)}`);
        const meta = JSON.parse((await s3.client.get(BUCKET, `backups/${name}.meta.json`)).toString());
        const dRuns: Measured[] = [];
        const fRuns: Measured[] = [];
        for (let r = 0; r < repeat; r++) {
            await quiet();
            dRuns.push(await measure("bash", [SCRIPT, "restore", name, "--target-db", `${DB}_restored`], env));
            db.psql(`DROP DATABASE ${DB}_restored`);
            await quiet();
            fRuns.push(
                await sh(`createdb ${DB}_plain && pg_restore --exit-on-error --single-transaction -d ${DB}_plain ${home}/plain.dump`, env),
            );
            db.psql(`DROP DATABASE ${DB}_plain`);
        }
        const d = median(dRuns);
        const f = median(fRuns);
        fs.rmSync(`${home}/plain.dump`);
        // Fixed overhead: the median of three backups of an almost empty database (own prefix).
        const emptyEnv = { ...env, PGDATABASE: `${DB}_empty`, BACKUP_S3_PREFIX: "empty/" };
        const eDump: Measured[] = [];
        const e: Measured[] = [];
        for (let i = 0; i < 3; i++) {
            eDump.push(await sh("pg_dump --format=custom --compress=0 > /dev/null", emptyEnv));
            e.push(await measure("bash", [SCRIPT, "backup"], emptyEnv));
            await sleep(1100); // one backup name per second
        }
        console.log(`logical steps done; ${since(t0)}`);

        // pgBackRest, on the same cluster (it backs up the whole cluster: every database).
        await quiet();
        const bin = requireTool("pgbackrest", PGBACKREST_HINT);
        const pgbr = (args: string[]) => measureAs(bin, [`--stanza=${PITR_STANZA}`, ...args], db.env);
        const g = await pgbr(["--type=full", "backup"]);
        // 1% of the rows of the biggest tables, in the newest 1% of each (by key): few files change.
        const change: Record<string, string> = {
            candles: "volume = coalesce(volume, 0) + 1",
            signals: "strength = coalesce(strength, 0) + 0.001",
            orders: "quantity = quantity + 1",
        };
        const key: Record<string, string> = { candles: "bucket_start", signals: "id", orders: "id" };
        const onePercent = (where: (table: string) => string) =>
            Object.keys(change)
                .map((t) => `UPDATE ${t} SET ${change[t]} WHERE ${where(t)};`)
                .join("\n") + "\nCHECKPOINT;";
        db.psql(
            onePercent((t) => `${key[t]} >= (SELECT percentile_disc(0.99) WITHIN GROUP (ORDER BY ${key[t]}) FROM ${t})`),
            { database: DB },
        );
        await quiet();
        const h = await pgbr(["--type=incr", "backup"]);
        // 1% of the rows again, now spread evenly over every page of those tables.
        db.psql(
            onePercent(() => "random() < 0.01"),
            { database: DB },
        );
        await quiet();
        const i = await pgbr(["--type=incr", "backup"]);
        const info = db.info();
        const [gInfo, hInfo, iInfo] = info.backup.slice(-3);
        console.log(`pgBackRest backups done; ${since(t0)}`);

        // Point-in-time restore through the entry point, to an instant after the last backup.
        db.psql("CREATE TABLE after_backups AS SELECT 1 AS one;", { database: DB });
        await sleep(1100);
        const target = new Date().toISOString();
        await sleep(1100);
        db.psql("DROP TABLE after_backups;", { database: DB });
        await quiet();
        const copy = path.join(restoreRoot, "copy");
        const j = await measureAs("bash", [SCRIPT, "pitr-restore", "--to", target, "--data-dir", copy, "--port", String(db.port + 1)], {
            ...db.env,
            PG_BINDIR: pgBinDir(),
            PITR_STANZA,
            PITR_RECOVERY_TIMEOUT: "3600",
        });
        if (!/kline_bench\.public\.after_backups rows=1/.test(j.stdout))
            throw new Error(`the restored copy is not at ${target}:\n${j.stdout}`);

        const fixed = median(e).seconds;
        const fixedDump = median(eDump).seconds;
        const gzipBytes = Number(fs.readFileSync(`${home}/gzip.size`, "utf8").trim());
        const mib = (n: number) => `${(n / MB).toFixed(0)} MiB`;
        const stored = (b: any) =>
            `${mib(b.info.repository.delta)} stored (${((100 * b.info.repository.delta) / gInfo.info.repository.delta).toFixed(1)}% of the full)`;
        const rowsOut: [string, Measured, string][] = [
            [`(a) pg_dump > /dev/null (plain), median of ${runs(aRuns)}`, a, "-"],
            ["(a2) pg_dump -Fc -Z0 > file", a2, "-"],
            ["(b) pg_dump | gzip -6", b, `${mib(gzipBytes)} (${(dbBytes / gzipBytes).toFixed(1)}x)`],
            [
                `(c) backup-restore.sh backup, median of ${runs(cRuns)}`,
                c,
                `${mib(meta.size_bytes)} (${(dbBytes / meta.size_bytes).toFixed(1)}x)`,
            ],
            [`(d) backup-restore.sh restore (${process.env.BACKUP_CONCURRENCY ?? 3} jobs), median of ${runs(dRuns)}`, d, "-"],
            [`(f) pg_restore of (a2), one session, median of ${runs(fRuns)}`, f, "-"],
            ["(g) pgBackRest full (whole cluster)", g, `${mib(gInfo.info.repository.delta)} stored`],
            ["(h) pgBackRest incr, 1% of rows clustered", h, stored(hInfo)],
            ["(i) pgBackRest incr, 1% of rows spread", i, stored(iInfo)],
            ["(j) backup-restore.sh pitr-restore", j, "restore + replay + start + row counts"],
        ];
        const mbps = (m: Measured) => dbBytes / MB / m.seconds;
        console.log("");
        console.log(
            `database ${mib(dbBytes)} on disk (cluster ${mib(clusterBytes)}), logical: concurrency ${process.env.BACKUP_CONCURRENCY ?? 3}, zstd level ${meta.compression_level}; pgBackRest: zst level 3, process-max 2; ${os.cpus().length} cores, load average ${os
                .loadavg()
                .map((x) => x.toFixed(1))
                .join(" ")}`,
        );
        console.log(
            "| step | wall time (s) | throughput (MiB/s of database) | × (a) time | machine CPU (core-s) | cores busy | peak memory (MiB) | output |",
        );
        console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        for (const [label, m, out] of rowsOut)
            console.log(
                `| ${label} | ${m.seconds.toFixed(2)} | ${mbps(m).toFixed(1)} | ${(m.seconds / a.seconds).toFixed(2)} | ${(m.cpuSeconds ?? 0).toFixed(1)} | ${((m.cpuSeconds ?? 0) / m.seconds).toFixed(2)} | ${(m.peakRssBytes / MB).toFixed(0)} | ${out} |`,
            );
        console.log(
            `| (e) backup-restore.sh backup, almost empty database (median of 3) | ${fixed.toFixed(2)} | - | - | - | - | ${(median(e).peakRssBytes / MB).toFixed(0)} | fixed overhead |`,
        );
        console.log(`|     pg_dump -Fc -Z0 of that database (median of 3) | ${fixedDump.toFixed(2)} | - | - | - | - | - | - |`);

        const streaming = c.seconds - fixed;
        const sa = a.seconds / streaming;
        const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
        console.log("");
        console.log(
            `logical streaming throughput = ${(dbBytes / MB / streaming).toFixed(1)} MiB/s ((c) minus (e): ${streaming.toFixed(2)} s) = ${sa.toFixed(2)} x (a) (target >= 0.8): ${verdict(sa >= 0.8)}`,
        );
        console.log(`logical fixed overhead (e) = ${fixed.toFixed(2)} s (target <= 1.5 s): ${verdict(fixed <= 1.5)}`);
        const hg = h.seconds / g.seconds;
        const ig = i.seconds / g.seconds;
        console.log(
            `incremental after a 1% change (target <= 20% of the full's time): clustered in the newest rows (h) = ${(hg * 100).toFixed(0)}%: ${verdict(hg <= 0.2)}; spread over every page (i) = ${(ig * 100).toFixed(0)}%: ${verdict(ig <= 0.2)}`,
        );
        console.log(
            `logical restore (d) = ${mbps(d).toFixed(1)} MiB/s against plain pg_restore (f) ${mbps(f).toFixed(1)} MiB/s = ${(f.seconds / d.seconds).toFixed(2)} x (target >= 1): ${verdict(d.seconds <= f.seconds)}`,
        );
        console.log(
            `c/a end to end = ${(a.seconds / c.seconds).toFixed(2)} x (a)'s throughput; (b)/(c) time = ${(b.seconds / c.seconds).toFixed(2)}`,
        );
        // On this machine's cores, a step cannot take less wall time than its CPU work over the cores.
        const cores = os.cpus().length;
        console.log(
            `CPU work: (a) ${(a.cpuSeconds ?? 0).toFixed(1)} core-s, (c) ${(c.cpuSeconds ?? 0).toFixed(1)} core-s; on ${cores} cores (c) needs at least ${((c.cpuSeconds ?? 0) / cores).toFixed(1)} s, ${((c.cpuSeconds ?? 0) / cores / a.seconds).toFixed(2)} x (a)'s time`,
        );
        console.log(`total ${since(t0)}`);
    } finally {
        pg?.destroy();
        await s3.destroy();
        await pitrS3.destroy();
        fs.rmSync(home, { recursive: true, force: true });
        fs.rmSync(restoreRoot, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((err) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
