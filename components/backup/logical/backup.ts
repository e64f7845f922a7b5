// `backup`: pg_dump -Fc -Z0 | zstd, streamed into one write-once S3 object with its SHA-256 and size
// taken on the way; nothing of the dump touches the local disk. The object can only appear when
// pg_dump and zstd both exited 0: until then the stream's end is held back, and on any failure the
// upload is abandoned (no CompleteMultipartUpload, so no object). Then the `.sha256` and `.meta.json`
// sidecars are written once, and the lock is released.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import { Transform } from "stream";
import { META_SUFFIX, SHA256_SUFFIX, backupName } from "../../../contract/backup";
import { Context } from "./context";
import { AlreadyExists, BackupError, EXIT } from "./errors";
import { BackupLock } from "./lock";
import { humanSize } from "./format";
import { buildMetadata, checksumSidecar } from "./metadata";
import { COUNTS_JSON_SQL, Postgres, SnapshotSession, run } from "./postgres";
import { LockSettings, PgSettings } from "./settings";
import type { S3Store } from "./store";

export const PROGRAM_VERSION = "2";
const MiB = 1024 * 1024;

function exited(p: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode);
        else p.once("exit", (code) => resolve(code));
    });
}

/** Parts of at least 8 MiB, large enough that a dump as big as the database fits in 9,000 parts. */
export function partSize(databaseBytes: number): number {
    return Math.max(8 * MiB, Math.ceil((databaseBytes * 1.1) / 9000));
}

/**
 * `openStore` loads the AWS SDK (about half a second of module loading): it is called once psql and
 * `pg_dump --version` have been started, so that they connect while it loads.
 */
export async function runBackup(
    ctx: Context,
    pgs: PgSettings,
    lockSettings: LockSettings,
    openStore: () => Promise<S3Store>,
): Promise<string> {
    const pg = new Postgres(pgs, ctx.env);
    // Opening the snapshot session is the connection check: a bad password or host fails here,
    // before the lock is taken.
    const versionRun = run("pg_dump", ["--version"], ctx.env);
    const opening = SnapshotSession.open(pg, ctx.env);
    const storeLoaded = openStore();
    storeLoaded.catch(() => undefined); // awaited below; a connection error is reported first
    const { session, info } = await opening;
    const stopSession = ctx.cleanup.add("ending the snapshot session", () => session.kill());
    const store = await storeLoaded;

    const lock = await BackupLock.acquire(store, lockSettings, ctx.log).catch((err) => {
        if (err instanceof BackupError && err.code === EXIT.locked) throw err;
        const e = store.fail("taking the backup lock", err);
        throw new BackupError(e.code, `${e.message}; nothing was uploaded`, e.hint);
    });
    const keepLock = ctx.cleanup.add("releasing the backup lock", async () => void (await lock.release()));

    // Row counts in the dump's own snapshot, counted while the dump runs (awaited after the upload).
    const counting = session.query(`SET row_security = off;\n${COUNTS_JSON_SQL};`, "counting rows in the dump's snapshot failed");
    counting.catch(() => undefined);

    const started = new Date();
    const name = backupName(ctx.common.namePrefix, started);
    ctx.log(`dumping "${pgs.database}" (${humanSize(info.sizeBytes)} on disk, PostgreSQL ${info.serverVersion}) to ${store.where}${name}`);

    const dump = spawn(
        "pg_dump",
        [
            "-w",
            "--format=custom",
            "--compress=0",
            `--snapshot=${info.snapshot}`,
            `--lock-wait-timeout=${pgs.lockWaitSeconds}s`,
            `--dbname=${pgs.database}`,
        ],
        { env: ctx.env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "inherit"] },
    );
    // Concurrency 1: zstd's single-threaded mode, which buffers little (-T1 still buffers whole jobs).
    const threads = ctx.common.concurrency > 1 ? `-T${ctx.common.concurrency}` : "--single-thread";
    const zstd = spawn("zstd", ["-q", "-c", `-${ctx.common.zstdLevel}`, threads], {
        env: ctx.env as NodeJS.ProcessEnv,
        stdio: [dump.stdout!, "pipe", "inherit"],
    });
    // zstd holds its own copy of the pipe; ours would keep pg_dump writing into nothing if zstd died.
    dump.stdout!.destroy();
    const children = [dump, zstd];
    const stopChildren = ctx.cleanup.add("stopping pg_dump and zstd", () =>
        children.forEach((c) => c.exitCode === null && c.kill("SIGKILL")),
    );

    const hash = crypto.createHash("sha256");
    let bytes = 0;
    let open!: () => void;
    let refuse!: (err: Error) => void;
    const gate = new Promise<void>((resolve, reject) => {
        open = resolve;
        refuse = reject;
    });
    gate.catch(() => undefined);
    const tap = new Transform({
        highWaterMark: 4 * MiB,
        transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            bytes += chunk.length;
            cb(null, chunk);
        },
        // The end of the stream (and so the completion of the upload) waits for the gate.
        flush(cb) {
            gate.then(
                () => cb(),
                (err) => cb(err),
            );
        },
    });
    zstd.stdout!.pipe(tap);

    const upload = store.uploadOnce(name, tap, {
        partSize: partSize(info.sizeBytes),
        queueSize: ctx.common.concurrency,
        contentType: "application/zstd",
    });
    const abandon = ctx.cleanup.add("abandoning the upload", () => upload.abort());
    let uploadError: unknown;
    let stoppedByUpload = false;
    const uploaded = upload.done.catch((err) => {
        uploadError = err;
        if (children.some((c) => c.exitCode === null && c.signalCode === null)) {
            stoppedByUpload = true;
            children.forEach((c) => c.kill("SIGKILL"));
        }
    });

    const [dumpCode, zstdCode] = await Promise.all([exited(dump), exited(zstd)]);
    if (dumpCode === 0 && zstdCode === 0) open();
    else {
        refuse(new Error("the dump failed"));
        await upload.abort().catch(() => undefined);
    }
    await uploaded;
    abandon();
    stopChildren();

    const abandoned = "; the upload was abandoned, no backup was recorded";
    if (uploadError && (stoppedByUpload || (dumpCode === 0 && zstdCode === 0))) {
        if (uploadError instanceof AlreadyExists) {
            throw new BackupError(
                EXIT.fail,
                `${store.where}${name} already exists and is never replaced (two backups in the same second?)${abandoned}`,
            );
        }
        const e = uploadError instanceof BackupError ? uploadError : store.fail(`upload of ${store.where}${name}`, uploadError);
        throw new BackupError(e.code, `${e.message}${abandoned}`, e.hint);
    }
    if (dumpCode !== 0) throw new BackupError(EXIT.fail, `pg_dump failed (exit ${dumpCode ?? "by signal"})${abandoned}`);
    if (zstdCode !== 0) throw new BackupError(EXIT.fail, `zstd failed (exit ${zstdCode ?? "by signal"})${abandoned}`);

    // The upload completed: the object exists whole. Row counts in the dump's own snapshot.
    const countsText = await counting;
    await session.close();
    stopSession();
    const rowCounts = JSON.parse(countsText.trim()) as Record<string, number>;
    const sha256 = hash.digest("hex");
    const finished = new Date();
    const meta = buildMetadata({
        name,
        program_version: PROGRAM_VERSION,
        format: "pg_dump custom (-Fc -Z0) compressed with zstd",
        compression: "zstd",
        compression_level: ctx.common.zstdLevel,
        size_bytes: bytes,
        sha256,
        source: { systemIdentifier: info.systemIdentifier, database: pgs.database, host: pgs.host, port: pgs.port },
        database: pgs.database,
        database_owner: info.owner,
        database_size_bytes: info.sizeBytes,
        encoding: info.encoding,
        server_version: info.serverVersion,
        server_version_num: info.serverVersionNum,
        pg_dump_version: (await versionRun).stdout.trim(),
        started_at: started.toISOString().replace(/\.\d{3}Z$/, "Z"),
        finished_at: finished.toISOString().replace(/\.\d{3}Z$/, "Z"),
        duration_seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
        table_count: Object.keys(rowCounts).length,
        row_counts: rowCounts,
    });
    try {
        await Promise.all([
            store.putOnce(name + SHA256_SUFFIX, Buffer.from(checksumSidecar(name, sha256)), "text/plain"),
            store.putOnce(name + META_SUFFIX, Buffer.from(JSON.stringify(meta, null, 2) + "\n"), "application/json"),
        ]);
    } catch (err) {
        const why = err instanceof AlreadyExists ? err.message : store.fail("writing the checksum and metadata", err).message;
        throw new BackupError(
            EXIT.fail,
            `could not store the sidecars of ${name} (${why}); it is a backup only if 'list' shows it (see 'list --all')`,
        );
    }
    keepLock();
    await lock.release();
    ctx.log(`backup complete: ${name} (${humanSize(bytes)}, sha256 ${sha256}, ${meta.table_count} tables, ${meta.duration_seconds} s)`);
    return name;
}
