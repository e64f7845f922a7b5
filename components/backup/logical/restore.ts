// `restore` and `validate`: pick a backup (by name, or the newest complete one in a window), check
// where it came from, download it with its sidecars and verify size and SHA-256 before any of it
// reaches a database, restore it into a new scratch database, compare every table's row count with
// the metadata, then (restore) put it in place, keeping a replaced database.
//
// Two ways to restore, the same checks before and after:
// - parallel (BACKUP_CONCURRENCY > 1, the default, when BACKUP_WORK_DIR has room): the download is
//   decompressed on the way into an uncompressed dump file, and `pg_restore --jobs` loads it, tables
//   and indexes side by side. pg_restore needs a file for that (it seeks), not a pipe.
// - one session (BACKUP_CONCURRENCY=1, or not enough room for the uncompressed dump): the compressed
//   file is kept and piped through zstd into `pg_restore --single-transaction`; a downloaded dump
//   whose data blocks cannot be indexed (archive.ts) is loaded the same way from the file itself.
// Either way the scratch database is dropped on any failure, so nothing half-restored stays behind.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Transform, Writable } from "stream";
import { pipeline } from "stream/promises";
import { KEPT_SUFFIX, META_SUFFIX, SHA256_SUFFIX } from "../../../contract/backup";
import { ArchiveFormatError, indexDataBlocks } from "./archive";
import { Command } from "./args";
import { humanSize } from "./format";
import { Catalogue, CatalogueEntry } from "./catalogue";
import { Context, scratchDir } from "./context";
import { BackupError, EXIT } from "./errors";
import { RestoreFacts, parseChecksumSidecar, parseMetadata, sourceMismatch } from "./metadata";
import { Postgres } from "./postgres";
import { PgSettings } from "./settings";
import { S3Store } from "./store";

type RestoreCommand = Extract<Command, { kind: "restore" }>;

/** Room kept free beside a downloaded file. */
const SLACK = 16 * 1024 * 1024;

/** A verified download: the zstd file as stored, or the uncompressed dump; `jobs` > 1 for a parallel restore. */
interface Fetched {
    facts: RestoreFacts;
    file: string;
    compressed: boolean;
    jobs: number;
}

function exitCode(p: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode);
        else p.once("close", (c) => resolve(c));
    });
}

/** Resolves when `w` can take more, or is closed or broken. */
function drained(w: Writable): Promise<void> {
    return new Promise((resolve) => {
        const done = () => {
            w.off("drain", done).off("close", done).off("error", done);
            resolve();
        };
        w.on("drain", done).on("close", done).on("error", done);
    });
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const stamp = () => new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);

export async function loadCatalogue(ctx: Context, store: S3Store): Promise<Catalogue> {
    return Catalogue.fromListing(await store.list(""), ctx.common.namePrefix);
}

/** The newest complete backup in [from, to], or EXIT.notFound naming the newest there is. */
export function chooseBackup(cat: Catalogue, where: string, from?: number, to?: number): CatalogueEntry {
    const chosen = cat.choose(from, to);
    if (chosen) return chosen;
    const window = from === undefined ? "any time" : `${iso(from)} .. ${iso(to ?? Date.now())}`;
    const newest = cat.complete()[0];
    if (newest) {
        throw new BackupError(
            EXIT.notFound,
            `no complete backup in the replay window (${window}); the newest complete backup is ${newest.name}: widen --window or name it`,
        );
    }
    throw new BackupError(EXIT.notFound, `no complete backup exists under ${where} (replay window ${window})`);
}

class Restorer {
    readonly pg: Postgres;
    private dir?: string;

    constructor(
        private readonly ctx: Context,
        private readonly pgs: PgSettings,
        private readonly store: S3Store,
    ) {
        this.pg = new Postgres(pgs, ctx.env);
    }

    /** Drops `db` on exit unless the returned function is called (it was put in place). */
    scratchDatabase(db: string): () => void {
        return this.ctx.cleanup.add(`dropping scratch database "${db}"`, async () => {
            this.ctx.log(`dropping scratch database "${db}"`);
            await this.pg.admin('DROP DATABASE IF EXISTS :"db";', { db });
        });
    }

    /**
     * Downloads `name` and its sidecars and checks completeness, origin, size and SHA-256; returns the
     * metadata and the local file, uncompressed for a parallel restore (`jobs` > 1) or as stored. The
     * sidecars come first: a backup of another source is refused before its dump is downloaded.
     */
    async fetchAndVerify(name: string, allowOtherSource: boolean, known?: CatalogueEntry): Promise<Fetched> {
        const [head, shaBody, metaBody] = await Promise.all([
            this.store.head(name),
            this.store.get(name + SHA256_SUFFIX),
            this.store.get(name + META_SUFFIX),
        ]);
        const missing = [head ? [] : [name], shaBody ? [] : [name + SHA256_SUFFIX], metaBody ? [] : [name + META_SUFFIX]].flat();
        if (missing.length === 3)
            throw new BackupError(EXIT.notFound, `backup ${name} does not exist under ${this.store.where}; see 'list'`);
        if (missing.length) {
            throw new BackupError(
                EXIT.integrity,
                `backup ${name} is incomplete (missing ${missing.join(" ")}): a failed or unfinished backup, not restorable; pick another from 'list'`,
            );
        }
        const expected = parseChecksumSidecar(name, shaBody!);
        const facts = parseMetadata(name, metaBody!);
        if (facts.sha256 !== expected)
            throw new BackupError(EXIT.integrity, `the checksum and metadata sidecars of ${name} disagree; restore refused`);

        const systemIdentifier = await this.pg.systemIdentifier(this.pgs.adminDb);
        const mismatch = sourceMismatch(facts.source, { systemIdentifier, database: this.pgs.database });
        if (mismatch && !allowOtherSource) {
            throw new BackupError(
                EXIT.otherSource,
                `backup ${name} is not a backup of "${this.pgs.database}" on this server: ${mismatch}; restore refused`,
                "pick a backup of this database from 'list', or pass --allow-other-source if restoring another database's backup is what you mean",
            );
        }
        if (mismatch) this.ctx.log(`WARNING: ${name}: ${mismatch}; restoring it as --allow-other-source asks`);

        const size = head!.size;
        if (size !== facts.sizeBytes) {
            throw new BackupError(
                EXIT.integrity,
                `${name} is ${size} bytes but the metadata records ${facts.sizeBytes} (truncated or replaced); restore refused`,
            );
        }
        this.dir ??= scratchDir(this.ctx);
        const room = this.room();
        const jobs = this.ctx.common.concurrency;
        const file = path.join(this.dir, name);
        if (jobs > 1) {
            // The uncompressed dump is about the size of the database (less its indexes, more any
            // compressed TOAST): sized by the database when the metadata records it.
            const estimate = Math.max(facts.databaseSizeBytes ?? 0, 4 * size) + SLACK;
            if (room >= estimate) {
                this.ctx.log(
                    `downloading ${this.store.where}${name} (${humanSize(known?.size ?? size)}), decompressing it for ${jobs} parallel jobs`,
                );
                const got = await this.downloadUncompressed(name, file + ".dump", room - SLACK);
                if (got) {
                    this.checkDownload(name, facts, expected, got);
                    if (got.zstd !== 0) {
                        throw new BackupError(
                            EXIT.integrity,
                            `${name} matches its checksum but does not decompress (zstd exit ${got.zstd}: ${got.zstdErrors.trim().slice(0, 300)}); it was damaged before it was stored, restore refused`,
                        );
                    }
                    this.ctx.log(`sha256 verified: ${got.sha256}`);
                    // The backup streamed its dump, so pg_dump could not record where each table's data
                    // starts; without that every parallel job would read the file from its start.
                    try {
                        const index = indexDataBlocks(file + ".dump");
                        this.ctx.log(`indexed the dump's ${index.dataEntries} data blocks`);
                        return { facts, file: file + ".dump", compressed: false, jobs };
                    } catch (err) {
                        if (!(err instanceof ArchiveFormatError)) throw err;
                        this.ctx.log(`cannot index the dump's data blocks (${err.message}): restoring in one session`);
                        return { facts, file: file + ".dump", compressed: false, jobs: 1 };
                    }
                }
                fs.rmSync(file + ".dump", { force: true });
                this.ctx.log(`the uncompressed dump outgrew the room in ${this.dir}: restoring in one session instead`);
            } else {
                this.ctx.log(
                    `${this.dir} has room for ${humanSize(room)}, the uncompressed dump needs about ${humanSize(estimate)}: restoring in one session (more room allows a parallel restore: a bigger BACKUP_WORK_DIR, or in the restore pod the stack config restoreScratchSize)`,
                );
            }
        }
        const need = size + SLACK;
        if (room < need) {
            throw new BackupError(
                EXIT.fail,
                `not enough space in ${this.dir} for ${name}: need ${humanSize(need)}, have ${humanSize(room)}`,
                "set BACKUP_WORK_DIR to a bigger directory (in the restore pod: config restoreScratchSize)",
            );
        }
        this.ctx.log(`downloading ${this.store.where}${name} (${humanSize(known?.size ?? size)})`);
        const got = await this.store.download(name, file);
        this.checkDownload(name, facts, expected, got);
        this.ctx.log(`sha256 verified: ${got.sha256}`);
        return { facts, file, compressed: true, jobs: 1 };
    }

    /** Free space under the scratch directory, within BACKUP_WORK_DIR_LIMIT when set. */
    private room(): number {
        const st = fs.statfsSync(this.dir!);
        return Math.min(st.bavail * st.bsize, this.ctx.common.workLimitBytes ?? Infinity);
    }

    private checkDownload(name: string, facts: RestoreFacts, expected: string, got: { bytes: number; sha256: string }): void {
        if (got.bytes !== facts.sizeBytes) {
            throw new BackupError(
                EXIT.integrity,
                `${name} is ${got.bytes} bytes but the metadata records ${facts.sizeBytes} (truncated or replaced); restore refused`,
            );
        }
        if (got.sha256 !== expected) {
            throw new BackupError(
                EXIT.integrity,
                `checksum mismatch for ${name}: expected sha256 ${expected}, got ${got.sha256}; the stored object is corrupt, restore refused (choose another backup from 'list')`,
            );
        }
    }

    /**
     * Streams the object through SHA-256 into `zstd -d` and its output into `file`. When zstd stops
     * early (damaged data) the rest is still read and hashed, so the checksum decides what is reported.
     * Returns undefined, leaving a partial file, when the output outgrows `room` bytes or the disk.
     */
    private async downloadUncompressed(
        name: string,
        file: string,
        room: number,
    ): Promise<{ bytes: number; sha256: string; zstd: number | null; zstdErrors: string } | undefined> {
        const env = this.ctx.env as NodeJS.ProcessEnv;
        const body = await this.store.open(name);
        const zstd = spawn("zstd", ["-q", "-d", "-c"], { env, stdio: ["pipe", "pipe", "pipe"] });
        const stopZstd = this.ctx.cleanup.add("stopping zstd", () => void (zstd.exitCode === null && zstd.kill("SIGKILL")));
        let zstdErrors = "";
        zstd.stderr!.on("data", (d) => (zstdErrors += d));
        const zstdExit = exitCode(zstd);
        let written = 0;
        let full = false;
        const writing = pipeline(
            zstd.stdout!,
            new Transform({
                highWaterMark: 4 * 1024 * 1024,
                transform(chunk: Buffer, _enc, cb) {
                    written += chunk.length;
                    if (written > room) cb(Object.assign(new Error("out of room"), { code: "ENOSPC" }));
                    else cb(null, chunk);
                },
            }),
            fs.createWriteStream(file, { flags: "wx", mode: 0o600 }),
        ).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOSPC") throw err;
            full = true;
            body.destroy();
            zstd.kill("SIGKILL");
        });
        const hash = crypto.createHash("sha256");
        let bytes = 0;
        const feeding = (async () => {
            const input = zstd.stdin!;
            input.on("error", () => undefined); // zstd gone: the rest is hashed, not written
            for await (const chunk of body as AsyncIterable<Buffer>) {
                hash.update(chunk);
                bytes += chunk.length;
                if (!input.destroyed && !input.write(chunk)) await drained(input);
            }
            input.end();
        })();
        const [fed, wrote, code] = await Promise.allSettled([feeding, writing, zstdExit]);
        stopZstd();
        if (full) return undefined;
        if (wrote.status === "rejected") {
            throw new BackupError(EXIT.fail, `writing ${file} failed: ${(wrote.reason as Error).message}`, "check BACKUP_WORK_DIR");
        }
        if (fed.status === "rejected") throw this.store.fail(`download of ${this.store.where}${name}`, fed.reason);
        return { bytes, sha256: hash.digest("hex"), zstd: code.status === "fulfilled" ? code.value : null, zstdErrors };
    }

    /** Creates `db` (it must not exist), restores the dump into it, verifies the row counts. */
    async restoreInto(name: string, fetched: Fetched, db: string, noOwner: boolean): Promise<void> {
        const { facts, file, compressed, jobs } = fetched;
        // Owned by the role that owned the source (the restore role is a member of it), so the restored
        // objects can be given back to their owners; with --no-owner, by the restore role.
        if (!noOwner && facts.owner) {
            await this.pg.admin(
                'CREATE DATABASE :"db" OWNER :"owner" TEMPLATE template0 ENCODING :\'enc\';',
                { db, owner: facts.owner, enc: facts.encoding },
                `creating database "${db}" owned by "${facts.owner}" (the restore role needs CREATEDB and membership in "${facts.owner}"; or use --no-owner)`,
            );
        } else {
            await this.pg.admin(
                "CREATE DATABASE :\"db\" TEMPLATE template0 ENCODING :'enc';",
                { db, enc: facts.encoding },
                `creating database "${db}" (the restore role needs CREATEDB)`,
            );
        }
        const env = this.ctx.env as NodeJS.ProcessEnv;
        const owners = noOwner ? ["--no-owner", "--no-privileges"] : [];
        let errors = "";
        let codes: string;
        if (!compressed) {
            // pg_restore reads the file itself: with --jobs, each job seeks to the tables it loads.
            const how = jobs > 1 ? [`--jobs=${jobs}`] : ["--single-transaction"];
            this.ctx.log(`restoring ${name} into "${db}" ${jobs > 1 ? `with ${jobs} parallel jobs` : "in one transaction"}`);
            const restore = spawn("pg_restore", ["-w", `--dbname=${db}`, "--exit-on-error", ...how, ...owners, file], {
                env,
                stdio: ["ignore", "ignore", "pipe"],
            });
            restore.stderr!.on("data", (d) => (errors += d));
            const rc = await exitCode(restore);
            codes = rc === 0 ? "" : `pg_restore exit ${rc}`;
        } else {
            this.ctx.log(`restoring ${name} into "${db}" in one transaction`);
            const zstd = spawn("zstd", ["-q", "-d", "-c", file], { env, stdio: ["ignore", "pipe", "pipe"] });
            const opts = ["-w", `--dbname=${db}`, "--exit-on-error", "--single-transaction", ...owners];
            const restore = spawn("pg_restore", opts, { env, stdio: [zstd.stdout!, "ignore", "pipe"] });
            zstd.stdout!.destroy();
            zstd.stderr!.on("data", (d) => (errors += d));
            restore.stderr!.on("data", (d) => (errors += d));
            const [zc, rc] = await Promise.all([exitCode(zstd), exitCode(restore)]);
            codes = zc === 0 && rc === 0 ? "" : `zstd exit ${zc}, pg_restore exit ${rc}`;
        }
        if (codes) {
            throw new BackupError(EXIT.fail, `restore into "${db}" failed (${codes}): ${errors.replace(/\s+/g, " ").slice(0, 800)}`);
        }
        const actual = await this.pg.rowCounts(db);
        const tables = [...new Set([...Object.keys(facts.rowCounts), ...Object.keys(actual)])].sort();
        const diffs = tables.filter((t) => facts.rowCounts[t] !== actual[t]);
        if (diffs.length) {
            this.ctx.log("row count differences (- recorded at backup, + restored):");
            for (const t of diffs.slice(0, 20)) this.ctx.log(`  ${t}: -${facts.rowCounts[t] ?? "(none)"} +${actual[t] ?? "(none)"}`);
            throw new BackupError(EXIT.integrity, `restored database "${db}" does not match the metadata of ${name}`);
        }
        this.ctx.log(`verified "${db}": ${tables.length} tables, row counts equal to the backup's`);
    }
}

export async function runRestore(
    ctx: Context,
    cmd: RestoreCommand,
    pgs: PgSettings,
    store: S3Store,
    defaultWindowSeconds: number,
): Promise<string> {
    const r = new Restorer(ctx, pgs, store);
    const target = cmd.targetDb ?? pgs.database;
    const staging = `${target}__restoring`;
    const kept = `${target}${KEPT_SUFFIX}${stamp()}`;
    if (kept.length > 63) {
        throw new BackupError(EXIT.usage, `target database name '${target}' is too long to keep a renamed copy; use a shorter --target-db`);
    }
    await r.pg.check(pgs.adminDb);

    // Refuse early, before downloading anything.
    const targetExists = await r.pg.exists(target);
    if (targetExists) {
        const rels = await r.pg.relationCount(target);
        if (rels > 0 && !cmd.force) {
            throw new BackupError(
                EXIT.refused,
                `database "${target}" exists and is not empty (${rels} relations); restore refused. Use --target-db <new name>, or --force to replace it (the old one is kept as "${kept}")`,
            );
        }
    }
    if (await r.pg.exists(staging)) {
        ctx.log(`dropping leftover staging database "${staging}" from an earlier failed restore`);
        await r.pg.admin('DROP DATABASE :"db";', { db: staging }, `dropping "${staging}"`);
    }

    let chosen = cmd.name;
    let known: CatalogueEntry | undefined;
    if (!chosen) {
        const to = cmd.from !== undefined ? (cmd.to ?? Date.now()) : Date.now();
        const from = cmd.from ?? to - (cmd.window ?? defaultWindowSeconds) * 1000;
        known = chooseBackup(await loadCatalogue(ctx, store), store.where, from, to);
        chosen = known.name;
    }
    ctx.log(`restoring backup ${chosen} into "${target}"`);
    const fetched = await r.fetchAndVerify(chosen, cmd.allowOtherSource, known);
    const keepStaging = r.scratchDatabase(staging);
    await r.restoreInto(chosen, fetched, staging, cmd.noOwner);

    // Put the verified copy in place. Renames need the databases to be idle (stop the app first).
    if (targetExists) {
        if ((await r.pg.relationCount(target)) > 0) {
            await r.pg.admin(
                'ALTER DATABASE :"a" RENAME TO :"b";',
                { a: target, b: kept },
                `renaming "${target}" (sessions still connected? stop the application first; the verified restore stays in "${staging}")`,
            );
            ctx.log(`previous "${target}" kept as "${kept}"`);
        } else {
            await r.pg.admin('DROP DATABASE :"db";', { db: target }, `dropping the empty database "${target}" (sessions still connected?)`);
        }
    }
    await r.pg.admin('ALTER DATABASE :"a" RENAME TO :"b";', { a: staging, b: target }, `renaming "${staging}" to "${target}"`);
    keepStaging();
    ctx.log(`restore complete: ${chosen} is now database "${target}"`);
    return chosen;
}

export async function runValidate(
    ctx: Context,
    name: string | undefined,
    allowOtherSource: boolean,
    pgs: PgSettings,
    store: S3Store,
): Promise<string> {
    const r = new Restorer(ctx, pgs, store);
    await r.pg.check(pgs.adminDb);
    let known: CatalogueEntry | undefined;
    if (!name) known = chooseBackup(await loadCatalogue(ctx, store), store.where);
    const chosen = name ?? known!.name;
    const scratch = `${pgs.database.slice(0, 30)}__validate_${stamp()}_${process.pid}`;
    const fetched = await r.fetchAndVerify(chosen, allowOtherSource, known);
    r.scratchDatabase(scratch); // dropped on exit, success or not
    await r.restoreInto(chosen, fetched, scratch, true);
    ctx.log(`validate OK: ${chosen} restores and matches its metadata`);
    return chosen;
}
