// npm run bench:backup — throughput of scripts/backup-restore.sh against the naive pipeline.
//
// Starts a real PostgreSQL and MinIO on loopback (as the tests do), generates a database of at least
// 500 MB, then measures in one run:
//   (a) pg_dump to /dev/null            the floor: reading the database at all
//   (b) pg_dump | gzip -6 > /dev/null   the naive pipeline of the seed
//   (c) backup-restore.sh backup        dump -> zstd -> sha256 -> S3 upload, lock, sidecars
//   (d) backup-restore.sh restore       download, sha256, pg_restore, row-count verification
// and prints wall time, throughput (database size / time), the ratios c/a and c/b, and the peak
// resident memory of the whole process tree of (c) (the PostgreSQL and MinIO servers excluded).
// Targets: c >= 0.8 x a and c >= 5 x b. Set BENCH_SCALE to change the size (1 ~ 64 MB).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { BUCKET, PREFIX, startServers } from "../tests/backup/lib/fixture";
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

async function main(): Promise<void> {
    const scale = Number(process.env.BENCH_SCALE ?? "10");
    const t0 = Date.now();
    const { pg, s3 } = await startServers();
    try {
        await s3.client.createBucket(BUCKET);
        pg.psql("postgres", `CREATE DATABASE ${DB}`);
        pg.psql(DB, seedSql(scale));
        const dbBytes = Number(pg.psql(DB, `SELECT pg_database_size('${DB}')`).trim());
        const rows = pg.psql(DB, "SELECT sum(n_live_tup) FROM pg_stat_user_tables").trim();
        console.log(`generated ${DB}: ${(dbBytes / MB).toFixed(0)} MiB, ${rows} rows, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        if (dbBytes < 500 * 1000 * 1000) throw new Error(`database is only ${dbBytes} bytes; raise BENCH_SCALE`);

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
        const gzipBytes = Number(fs.readFileSync(`${home}/gzip.size`, "utf8").trim());

        const mbps = (m: Measured) => dbBytes / MB / m.seconds;
        const rowsOut: [string, Measured, string][] = [
            ["(a) pg_dump > /dev/null (plain)", a, "-"],
            ["    pg_dump -Fc -Z0 > /dev/null", aCustom, "-"],
            ["(b) pg_dump | gzip -6", b, `${(gzipBytes / MB).toFixed(0)} MiB (${(dbBytes / gzipBytes).toFixed(1)}x)`],
            ["(c) backup-restore.sh backup", c, `${(meta.size_bytes / MB).toFixed(0)} MiB (${(dbBytes / meta.size_bytes).toFixed(1)}x)`],
            ["(d) backup-restore.sh restore", d, "-"],
        ];
        console.log("");
        console.log(
            `database ${(dbBytes / MB).toFixed(0)} MiB on disk, ${process.env.BACKUP_CONCURRENCY ?? 3} concurrency, zstd level ${meta.compression_level}, ${os.cpus().length} cores`,
        );
        console.log("| step | wall time (s) | throughput (MiB/s of database) | output |");
        console.log("| --- | ---: | ---: | --- |");
        for (const [label, m, out] of rowsOut) console.log(`| ${label} | ${m.seconds.toFixed(2)} | ${mbps(m).toFixed(1)} | ${out} |`);
        const ca = a.seconds / c.seconds;
        const cb = b.seconds / c.seconds;
        console.log("");
        console.log(`c/a = ${ca.toFixed(2)} (target >= 0.8) ${ca >= 0.8 ? "MET" : "NOT MET"}`);
        console.log(`c/b = ${cb.toFixed(2)} (target >= 5) ${cb >= 5 ? "MET" : "NOT MET"}`);
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
