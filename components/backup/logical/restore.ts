// `restore` and `validate`: pick a backup (by name, or the newest complete one in a window), check
// where it came from, download it with its sidecars and verify size and SHA-256 before touching any
// database, restore it into a new database in one transaction, compare every table's row count with
// the metadata, then (restore) put it in place, keeping a replaced database.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KEPT_SUFFIX, META_SUFFIX, SHA256_SUFFIX } from "../../../contract/backup";
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
     * metadata and the local file. The sidecars come first: a backup of another source is refused
     * before its dump is downloaded.
     */
    async fetchAndVerify(name: string, allowOtherSource: boolean, known?: CatalogueEntry): Promise<{ facts: RestoreFacts; file: string }> {
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
        const need = size + 16 * 1024 * 1024;
        const fsStat = fs.statfsSync(this.dir);
        if (fsStat.bavail * fsStat.bsize < need) {
            throw new BackupError(
                EXIT.fail,
                `not enough space in ${this.dir} for ${name}: need ${humanSize(need)}, have ${humanSize(fsStat.bavail * fsStat.bsize)}`,
                "set BACKUP_WORK_DIR to a bigger directory",
            );
        }
        this.ctx.log(`downloading ${this.store.where}${name} (${humanSize(known?.size ?? size)})`);
        const file = path.join(this.dir, name);
        const got = await this.store.download(name, file);
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
        this.ctx.log(`sha256 verified: ${got.sha256}`);
        return { facts, file };
    }

    /** Creates `db` (it must not exist), restores the dump into it, verifies the row counts. */
    async restoreInto(name: string, file: string, facts: RestoreFacts, db: string, noOwner: boolean): Promise<void> {
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
        this.ctx.log(`restoring ${name} into "${db}"`);
        const env = this.ctx.env as NodeJS.ProcessEnv;
        const zstd = spawn("zstd", ["-q", "-d", "-c", file], { env, stdio: ["ignore", "pipe", "pipe"] });
        const opts = [
            "-w",
            `--dbname=${db}`,
            "--exit-on-error",
            "--single-transaction",
            ...(noOwner ? ["--no-owner", "--no-privileges"] : []),
        ];
        const restore = spawn("pg_restore", opts, { env, stdio: [zstd.stdout!, "ignore", "pipe"] });
        zstd.stdout!.destroy();
        let errors = "";
        zstd.stderr!.on("data", (d) => (errors += d));
        restore.stderr!.on("data", (d) => (errors += d));
        const code = (p: ChildProcess) => new Promise<number | null>((resolve) => p.on("close", (c) => resolve(c)));
        const [zc, rc] = await Promise.all([code(zstd), code(restore)]);
        if (zc !== 0 || rc !== 0) {
            throw new BackupError(
                EXIT.fail,
                `restore into "${db}" failed (zstd exit ${zc}, pg_restore exit ${rc}): ${errors.replace(/\s+/g, " ").slice(0, 800)}`,
            );
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
    const { facts, file } = await r.fetchAndVerify(chosen, cmd.allowOtherSource, known);
    const keepStaging = r.scratchDatabase(staging);
    await r.restoreInto(chosen, file, facts, staging, cmd.noOwner);

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
    const { facts, file } = await r.fetchAndVerify(chosen, allowOtherSource, known);
    r.scratchDatabase(scratch); // dropped on exit, success or not
    await r.restoreInto(chosen, file, facts, scratch, true);
    ctx.log(`validate OK: ${chosen} restores and matches its metadata`);
    return chosen;
}
