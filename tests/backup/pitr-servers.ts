// Real servers for the point-in-time recovery tests: MinIO with TLS (a throw-away CA made by
// openssl, so pgBackRest verifies the certificate), PostgreSQL 15 archiving WAL through pgBackRest
// with the configuration the program renders (components/backup/pitr-config.ts), and helpers to run
// pgBackRest, the agent and scripts/pitr.sh as the database's OS user.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { RepositoryTarget, archivingArgs, renderPgbackrestConf } from "../../components/backup/pitr-config";
import { requireTool } from "../lib/tools";
import { MinioServer } from "./lib/minio";
import { freePort } from "./lib/ports";

export const PGBACKREST_HINT = "apt-get install pgbackrest (Debian 2.45, listed in .ci/apt/backup.txt)";
const PG_HINT = "apt-get install postgresql (listed in .ci/apt/backup.txt)";

export const isRoot = process.getuid?.() === 0;
/** initdb, the server and pgBackRest refuse to run as root: run them as the Debian `postgres` user then. */
const osUser = isRoot ? "postgres" : os.userInfo().username;

/** PostgreSQL 15's server binaries (pgBackRest 2.45 supports up to 15). */
export function pgBinDir(): string {
    return path.dirname(requireTool("initdb", PG_HINT, ["/usr/lib/postgresql/15/bin"]));
}

/** A directory the database's OS user owns. */
export function ownedDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    if (isRoot) execFileSync("chown", [osUser, dir]);
    fs.chmodSync(dir, 0o755);
    return dir;
}

/**
 * Copies of repository files the database's OS user can read, in a folder of their own (remove it
 * when done). As root, the tests run the scripts as that user (runAs), and a clone inside a private
 * folder (`mktemp -d` makes it 0700) is out of its reach. The paths stay relative to the repository
 * root, so a script finds its neighbours as it does in the repository.
 */
export function readableCopy(root: string, files: string[]): string {
    const dir = ownedDir("kline-scripts-");
    for (const f of files) {
        const to = path.join(dir, f);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(path.join(root, f), to);
        fs.chmodSync(to, 0o755);
        for (let d = path.dirname(to); d !== dir; d = path.dirname(d)) fs.chmodSync(d, 0o755);
    }
    return dir;
}

export interface RunResult {
    status: number;
    stdout: string;
    stderr: string;
}

/** The command line that runs `cmd` as the database's OS user (through runuser when this process is root). */
export function asDatabaseUser(cmd: string, args: string[], env: Record<string, string>): [string, string[]] {
    return isRoot
        ? [requireTool("runuser", "apt-get install util-linux"), ["-u", osUser, "-w", Object.keys(env).join(","), "--", cmd, ...args]]
        : [cmd, args];
}

/** Runs a command as the database's OS user with the given environment added. */
export function runAs(cmd: string, args: string[], env: Record<string, string>, opts: { timeoutMs?: number } = {}): RunResult {
    const [file, argv] = asDatabaseUser(cmd, args, env);
    const r = spawnSync(file, argv, {
        encoding: "utf8",
        env: { ...process.env, ...env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 300_000,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function mustRun(cmd: string, args: string[], env: Record<string, string>): string {
    const r = runAs(cmd, args, env);
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

/**
 * MinIO over HTTPS (the tests' MinioServer with tls) and what pgBackRest needs of it: its repository
 * settings and credentials, and an AWS SDK client that trusts only the throw-away CA.
 */
export class TlsMinio {
    private constructor(private readonly server: MinioServer) {}

    static async create(): Promise<TlsMinio> {
        return new TlsMinio(await MinioServer.create({ tls: true }));
    }

    get region(): string {
        return this.server.region;
    }
    get port(): number {
        return this.server.port;
    }
    get caFile(): string {
        return this.server.caFile!;
    }

    private client?: S3Client;
    /** An S3 client that trusts only the throw-away CA (bucket set-up, and tampering with stored objects). */
    private get s3(): S3Client {
        this.client ??= new S3Client({
            endpoint: this.server.endpoint,
            forcePathStyle: true,
            region: this.region,
            credentials: { accessKeyId: this.server.accessKey, secretAccessKey: this.server.secretKey },
            requestHandler: { httpsAgent: new https.Agent({ ca: fs.readFileSync(this.caFile) }) },
        });
        return this.client;
    }

    async createBucket(bucket: string): Promise<void> {
        await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }

    /** Every object under the prefix with its size, sorted by key. */
    async list(bucket: string, prefix: string): Promise<Array<{ key: string; size: number }>> {
        const out: Array<{ key: string; size: number }> = [];
        let token: string | undefined;
        do {
            const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
            for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return out.sort((a, b) => a.key.localeCompare(b.key));
    }

    async get(bucket: string, key: string): Promise<Buffer> {
        const r = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await r.Body!.transformToByteArray());
    }

    async put(bucket: string, key: string, body: Buffer): Promise<void> {
        await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }

    /** Where pgBackRest finds this server (the rest of its repository settings come from the program). */
    repository(bucket: string, prefix: string): RepositoryTarget {
        return {
            bucket,
            prefix,
            region: this.region,
            endpoint: "localhost",
            port: this.port,
            keyType: "shared",
            uriStyle: "path",
            caFile: this.caFile,
        };
    }

    /** The keys pgBackRest takes from its environment with repo1-s3-key-type=shared (never in its file). */
    credentialsEnv(): Record<string, string> {
        return { PGBACKREST_REPO1_S3_KEY: this.server.accessKey, PGBACKREST_REPO1_S3_KEY_SECRET: this.server.secretKey };
    }

    async destroy(): Promise<void> {
        this.client?.destroy();
        await this.server.destroy();
    }
}

export interface ArchivingPgOptions {
    stanza: string;
    repository: RepositoryTarget;
    retentionDays: number;
    /** Extra environment of the server (and so of archive_command): credentials, libfaketime. */
    serverEnv: Record<string, string>;
    archiveTimeoutSeconds?: number;
}

/**
 * PostgreSQL 15 on a Unix socket (trust for local connections, like the official image) that
 * archives WAL with the archive settings and pgbackrest.conf the program renders.
 */
export class ArchivingPostgres {
    readonly user = "kline";
    readonly dir = ownedDir("kline-pitr-pg-");
    readonly dataDir = path.join(this.dir, "data");
    readonly configFile = path.join(this.dir, "pgbackrest.conf");
    readonly lockDir = path.join(this.dir, "lock");
    port = 0;
    private readonly bin = pgBinDir();

    private constructor(private readonly opts: ArchivingPgOptions) {}

    static async create(opts: ArchivingPgOptions): Promise<ArchivingPostgres> {
        const pg = new ArchivingPostgres(opts);
        pg.port = await freePort();
        pg.init();
        pg.start();
        return pg;
    }

    get env(): Record<string, string> {
        return { PGBACKREST_CONFIG: this.configFile, ...this.opts.serverEnv };
    }

    private init(): void {
        fs.writeFileSync(
            this.configFile,
            renderPgbackrestConf({
                stanza: this.opts.stanza,
                repository: this.opts.repository,
                retentionDays: this.opts.retentionDays,
                pgPath: this.dataDir,
                socketPath: this.dir,
                port: this.port,
                user: this.user,
                lockPath: this.lockDir,
                processMax: 2,
            }),
        );
        fs.chmodSync(this.configFile, 0o644);
        mustRun(
            path.join(this.bin, "initdb"),
            ["-D", this.dataDir, "-U", this.user, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            {},
        );
        // The same -c settings the StatefulSet passes to `postgres`, as postgresql.conf lines.
        const args = archivingArgs(this.opts.stanza, this.opts.archiveTimeoutSeconds ?? 60);
        const settings: string[] = [];
        for (let i = 0; i < args.length; i += 2) {
            const [k, v] = args[i + 1].split(/=(.*)/s, 2);
            settings.push(`${k} = '${v.replace(/'/g, "''")}'`);
        }
        const conf = [
            "listen_addresses = ''",
            `port = ${this.port}`,
            `unix_socket_directories = '${this.dir}'`,
            "fsync = off",
            "max_wal_size = 1GB",
            "log_min_messages = warning",
            ...settings,
        ];
        fs.appendFileSync(path.join(this.dataDir, "postgresql.conf"), "\n" + conf.join("\n") + "\n");
    }

    start(): void {
        mustRun(
            path.join(this.bin, "pg_ctl"),
            ["-D", this.dataDir, "-l", path.join(this.dir, "server.log"), "-w", "-t", "60", "start"],
            this.env,
        );
    }

    stop(): void {
        runAs(path.join(this.bin, "pg_ctl"), ["-D", this.dataDir, "-m", "immediate", "-w", "stop"], {});
    }

    psql(sql: string, opts: { socket?: string; port?: number; database?: string } = {}): string {
        return execFileSync(
            "psql",
            [
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                opts.socket ?? this.dir,
                "-p",
                String(opts.port ?? this.port),
                "-U",
                this.user,
                "-d",
                opts.database ?? "postgres",
                "-f",
                "-",
            ],
            { input: sql, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] },
        ).trim();
    }

    /** pgBackRest with this server's configuration, as the database's OS user. */
    pgbackrest(args: string[], extraEnv: Record<string, string> = {}): RunResult {
        return runAs(requireTool("pgbackrest", PGBACKREST_HINT), [`--stanza=${this.opts.stanza}`, ...args], { ...this.env, ...extraEnv });
    }

    info(): any {
        const r = this.pgbackrest(["--output=json", "info"]);
        if (r.status !== 0) throw new Error(`pgbackrest info failed: ${r.stderr}`);
        return JSON.parse(r.stdout)[0];
    }

    /** Switches to a new WAL segment and waits until the finished one is archived. */
    async archiveCurrentWal(timeoutMs = 60_000): Promise<string> {
        const segment = this.psql("select pg_walfile_name(pg_switch_wal())");
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const last = this.psql("select coalesce(last_archived_wal, '') from pg_stat_archiver");
            if (last !== "" && last.slice(0, 24) >= segment) return segment;
            await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`WAL segment ${segment} was not archived within ${timeoutMs} ms: ${this.psql("select * from pg_stat_archiver")}`);
    }

    destroy(): void {
        try {
            this.stop();
        } finally {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}
