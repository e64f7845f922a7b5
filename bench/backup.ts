// npm run bench:backup — throughput of scripts/backup-restore.sh against the naive pipeline.
//
// Starts a real PostgreSQL and MinIO on loopback (as the tests do), generates a database, then
// measures in one run:
//   (a) pg_dump to /dev/null            the floor: reading the database at all
//   (b) pg_dump | gzip -6 > /dev/null   the naive pipeline
//   (c) backup-restore.sh backup        lock, dump -> zstd -> sha256 -> S3 upload, sidecars, release
//   (d) backup-restore.sh restore       download, sha256, pg_restore, row-count verification
//   (e) backup-restore.sh backup of an almost empty database: the logical tier's fixed overhead
//       (process start-up, lock, snapshot, sidecars), and pg_dump of that database beside it
// and prints wall time, throughput (database size / time), the streaming throughput of (c) (its time
// minus the fixed overhead (e)), the ratios, and the peak resident memory of the whole process tree
// of (c) and (d) (the PostgreSQL and MinIO servers excluded).
// Targets: streaming throughput of (c) >= 0.8 x (a); fixed overhead (e) <= 1.5 s.
// Size: `npm run bench:backup -- --scale <n>` (or BENCH_SCALE; 1 ~ 55 MiB, default 10 ~ 550 MiB).
// The script runs the compiled program, as the image does.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { BUCKET, PREFIX, startServers } from "../tests/backup/lib/fixture";
import { buildProgram } from "../tests/backup/lib/program";
import { SCRIPT } from "../tests/backup/lib/run-script";
import { seedSql } from "../tests/backup/lib/seed";

const DB = "kline_bench";
const MB = 1024 * 1024;

interface Measured {
    seconds: number;
    peakRssBytes: number;
    stdout: string;
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
            if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${stderr}`));
            else resolve({ seconds, peakRssBytes: peak, stdout });
        });
    });
}

const sh = (script: string, env: NodeJS.ProcessEnv) => measure("bash", ["-o", "pipefail", "-c", script], env);

/** --scale <n> (or BENCH_SCALE): the size of the generated database; a positive number. */
function scaleArg(argv: string[]): number {
    const i = argv.indexOf("--scale");
    const text = i >= 0 ? argv[i + 1] : (process.env.BENCH_SCALE ?? "10");
    const unknown = argv.filter((a, j) => a !== "--scale" && j !== i + 1);
    if (unknown.length) throw new Error(`unknown argument ${unknown[0]}; usage: npm run bench:backup -- [--scale <n>]`);
    const n = Number(text);
    if (text === undefined || !/^\d+(\.\d+)?$/.test(text) || !(n > 0 && n <= 100)) {
        throw new Error(`--scale needs a number from 0.1 to 100 (got ${text === undefined ? "no value" : `'${text}'`}); 1 ~ 55 MiB`);
    }
    return n;
}

async function main(): Promise<void> {
    const scale = scaleArg(process.argv.slice(2));
    const t0 = Date.now();
    const { pg, s3 } = await startServers();
    try {
        await s3.client.createBucket(BUCKET);
        pg.psql("postgres", `CREATE DATABASE ${DB}`);
        pg.psql(DB, seedSql(scale));
        const dbBytes = Number(pg.psql(DB, `SELECT pg_database_size('${DB}')`).trim());
        const rows = pg.psql(DB, "SELECT sum(n_live_tup) FROM pg_stat_user_tables").trim();
        console.log(`generated ${DB}: ${(dbBytes / MB).toFixed(0)} MiB, ${rows} rows, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        pg.psql("postgres", `CREATE DATABASE ${DB}_empty`);
        pg.psql(`${DB}_empty`, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one row');");

        const home = fs.mkdtempSync("/tmp/kline-bench-");
        const env: NodeJS.ProcessEnv = {
            PATH: process.env.PATH,
            HOME: home,
            LANG: "C.UTF-8",
            ...pg.env(DB),
            ...s3.env(),
            BACKUP_S3_BUCKET: BUCKET,
            BACKUP_S3_PREFIX: PREFIX,
            BACKUP_WORK_DIR: home,
            BACKUP_PROGRAM: buildProgram(),
            // BACKUP_ZSTD_LEVEL, BACKUP_CONCURRENCY, ... from the caller, to compare settings.
            ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("BACKUP_"))),
        };

        // Warm the page cache once so that no measurement pays for the first read of the tables.
        await sh("pg_dump > /dev/null", env);
        const a = await sh("pg_dump > /dev/null", env);
        const aCustom = await sh("pg_dump --format=custom --compress=0 > /dev/null", env);
        const b = await sh(`pg_dump | gzip -6 | tee >(wc -c > ${home}/gzip.size) > /dev/null`, env);
        const c = await measure("bash", [SCRIPT, "backup"], env);
        const name = c.stdout.trim();
        const meta = JSON.parse((await s3.client.get(BUCKET, `${PREFIX}${name}.meta.json`)).toString());
        const d = await measure("bash", [SCRIPT, "restore", name, "--target-db", `${DB}_restored`], env);
        // Fixed overhead: the median of three backups of an almost empty database (own prefix).
        const emptyEnv = { ...env, PGDATABASE: `${DB}_empty`, BACKUP_S3_PREFIX: `${PREFIX}empty/` };
        const median = (xs: Measured[]) => [...xs].sort((x, y) => x.seconds - y.seconds)[1];
        const eDump: Measured[] = [];
        const e: Measured[] = [];
        for (let i = 0; i < 3; i++) {
            eDump.push(await sh("pg_dump --format=custom --compress=0 > /dev/null", emptyEnv));
            e.push(await measure("bash", [SCRIPT, "backup"], emptyEnv));
            await new Promise((r) => setTimeout(r, 1100)); // one backup name per second
        }
        const fixed = median(e).seconds;
        const fixedDump = median(eDump).seconds;
        const gzipBytes = Number(fs.readFileSync(`${home}/gzip.size`, "utf8").trim());

        const mbps = (m: Measured) => dbBytes / MB / m.seconds;
        const rowsOut: [string, Measured, string][] = [
            ["(a) pg_dump > /dev/null (plain)", a, "-"],
            ["    pg_dump -Fc -Z0 > /dev/null", aCustom, "-"],
            ["(b) pg_dump | gzip -6", b, `${(gzipBytes / MB).toFixed(0)} MiB (${(dbBytes / gzipBytes).toFixed(1)}x)`],
            ["(c) backup-restore.sh backup", c, `${(meta.size_bytes / MB).toFixed(0)} MiB (${(dbBytes / meta.size_bytes).toFixed(1)}x)`],
            ["(d) backup-restore.sh restore", d, "-"],
        ];
        const streaming = c.seconds - fixed;
        console.log("");
        console.log(
            `database ${(dbBytes / MB).toFixed(0)} MiB on disk, ${process.env.BACKUP_CONCURRENCY ?? 3} concurrency, zstd level ${meta.compression_level}, ${os.cpus().length} cores`,
        );
        console.log("| step | wall time (s) | throughput (MiB/s of database) | output |");
        console.log("| --- | ---: | ---: | --- |");
        for (const [label, m, out] of rowsOut) console.log(`| ${label} | ${m.seconds.toFixed(2)} | ${mbps(m).toFixed(1)} | ${out} |`);
        console.log(`| (e) backup-restore.sh backup, almost empty database (median of 3) | ${fixed.toFixed(2)} | - | fixed overhead |`);
        console.log(`|     pg_dump -Fc -Z0 of that database (median of 3) | ${fixedDump.toFixed(2)} | - | - |`);
        const ca = a.seconds / c.seconds;
        const cb = b.seconds / c.seconds;
        const sa = a.seconds / streaming;
        console.log("");
        console.log(`fixed overhead (e) = ${fixed.toFixed(2)} s (target <= 1.5 s) ${fixed <= 1.5 ? "MET" : "NOT MET"}`);
        console.log(
            `streaming throughput of (c) = ${(dbBytes / MB / streaming).toFixed(1)} MiB/s ((c) minus (e): ${streaming.toFixed(2)} s); against (a): ${sa.toFixed(2)} (target >= 0.8) ${sa >= 0.8 ? "MET" : "NOT MET"}`,
        );
        console.log(`c/a end to end = ${ca.toFixed(2)}; c/b = ${cb.toFixed(2)}`);
        console.log(`peak memory of (c), whole process tree: ${(c.peakRssBytes / MB).toFixed(0)} MiB`);
        console.log(`peak memory of (d), whole process tree: ${(d.peakRssBytes / MB).toFixed(0)} MiB`);
        fs.rmSync(home, { recursive: true, force: true });
    } finally {
        await s3.destroy();
        pg.destroy();
    }
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
