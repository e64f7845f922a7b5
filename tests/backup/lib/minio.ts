// A real S3-compatible server for the backup tests and the benchmark: MinIO built from its Go module
// by .ci/setup/20-minio.sh, on a free loopback port with a temp data dir. It can be killed mid-upload
// and started again on the same data, as a crashed object store would. With `tls`, it serves HTTPS
// with a certificate for localhost signed by a throw-away authority (caFile), as pgBackRest needs.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { makeServerCertificate } from "../../../tools/lib/certificates";
import { requireTool } from "../../lib/tools";
import { freePort } from "./ports";
import { S3Client } from "./s3-client";

export interface MinioOptions {
    /** Serve HTTPS (certificate for localhost and 127.0.0.1, authority in caFile). */
    tls?: boolean;
}

export class MinioServer {
    readonly accessKey = "kline-test-" + crypto.randomBytes(4).toString("hex");
    readonly secretKey = crypto.randomBytes(24).toString("base64url");
    readonly region = "us-east-1";
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-minio-"));
    /** With tls: the authority that signed the server's certificate (readable by every user). */
    readonly caFile?: string;
    port = 0;
    private consolePort = 0;
    private proc?: ChildProcess;
    private output = "";
    private readonly bin = requireTool("minio", "bash .ci/setup/20-minio.sh (builds MinIO from its Go module)");

    private constructor(readonly tls: boolean) {
        if (tls) {
            const certs = path.join(this.dir, "certs");
            fs.mkdirSync(certs);
            const made = makeServerCertificate({
                openssl: requireTool("openssl", "apt-get install openssl (listed in .ci/apt/backup.txt)"),
                dir: certs,
                caName: "kline test CA",
                serverName: "localhost",
                certFile: "public.crt",
                keyFile: "private.key",
                days: 1,
            });
            // Clients running as another OS user (pgBackRest as postgres) read the authority here.
            this.caFile = path.join(this.dir, "ca.crt");
            fs.copyFileSync(made.caFile, this.caFile);
            fs.chmodSync(this.caFile, 0o644);
            fs.chmodSync(this.dir, 0o755);
        }
    }

    static async create(opts: MinioOptions = {}): Promise<MinioServer> {
        const s = new MinioServer(opts.tls ?? false);
        s.port = await freePort();
        s.consolePort = await freePort();
        await s.start();
        return s;
    }

    get endpoint(): string {
        return `${this.tls ? "https" : "http"}://127.0.0.1:${this.port}`;
    }

    get dataDir(): string {
        return path.join(this.dir, "data");
    }

    async start(): Promise<void> {
        fs.mkdirSync(this.dataDir, { recursive: true });
        this.output = "";
        const proc = spawn(
            this.bin,
            [
                "server",
                "--quiet",
                "--address",
                `127.0.0.1:${this.port}`,
                "--console-address",
                `127.0.0.1:${this.consolePort}`,
                ...(this.tls ? ["--certs-dir", path.join(this.dir, "certs")] : []),
                this.dataDir,
            ],
            {
                env: {
                    PATH: process.env.PATH,
                    HOME: this.dir,
                    MINIO_ROOT_USER: this.accessKey,
                    MINIO_ROOT_PASSWORD: this.secretKey,
                    MINIO_BROWSER: "off",
                    MINIO_UPDATE: "off",
                },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        proc.stdout!.on("data", (d) => (this.output += d));
        proc.stderr!.on("data", (d) => (this.output += d));
        this.proc = proc;
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
            if (proc.exitCode !== null) throw new Error(`minio exited with ${proc.exitCode}: ${this.output}`);
            // The health endpoints answer before the object layer is initialised (requests then get
            // 503 XMinioServerNotInitialized): ready means a signed ListBuckets succeeds.
            if ((await this.healthStatus()) === 200 && (await this.client.request("GET", "/").catch(() => ({ status: 0 }))).status === 200)
                return;
            await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`minio did not become ready on ${this.endpoint} within 30 s: ${this.output}`);
    }

    private healthStatus(): Promise<number> {
        return new Promise((resolve) => {
            const options = { host: "127.0.0.1", port: this.port, path: "/minio/health/ready", timeout: 1000 };
            const done = (res: http.IncomingMessage) => {
                res.resume();
                resolve(res.statusCode ?? 0);
            };
            const req = this.tls ? https.get({ ...options, ca: fs.readFileSync(this.caFile!) }, done) : http.get(options, done);
            req.on("error", () => resolve(0));
            req.on("timeout", () => {
                req.destroy();
                resolve(0);
            });
        });
    }

    /** SIGKILL = a crash mid-request; SIGTERM = orderly shutdown. Resolves once the process is gone. */
    async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        const proc = this.proc;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            proc.once("exit", () => resolve());
            proc.kill(signal);
        });
        this.proc = undefined;
    }

    /** Environment for the script under test (the AWS SDK reads the same variables) to talk to this server. */
    env(): Record<string, string> {
        return {
            AWS_ACCESS_KEY_ID: this.accessKey,
            AWS_SECRET_ACCESS_KEY: this.secretKey,
            AWS_REGION: this.region,
            AWS_EC2_METADATA_DISABLED: "true",
            AWS_PAGER: "",
            BACKUP_S3_ENDPOINT: this.endpoint,
        };
    }

    /** A client for looking at (and tampering with) the bucket from the tests. */
    get client(): S3Client {
        return new S3Client(
            this.endpoint,
            this.region,
            this.accessKey,
            this.secretKey,
            this.caFile ? fs.readFileSync(this.caFile) : undefined,
        );
    }

    /** Every key under the prefix (sorted). */
    async keys(bucket: string, prefix: string): Promise<string[]> {
        return (await this.client.list(bucket, prefix)).map((o) => o.key).sort();
    }

    /** Multipart uploads MinIO holds on disk ("<object hash>/<upload id>"); one appears per upload started. */
    multipartUploads(): string[] {
        const mp = path.join(this.dataDir, ".minio.sys", "multipart");
        const list = (dir: string) => {
            try {
                return fs.readdirSync(dir);
            } catch {
                return [];
            }
        };
        return list(mp).flatMap((obj) => list(path.join(mp, obj)).map((id) => `${obj}/${id}`));
    }

    async destroy(): Promise<void> {
        await this.stop("SIGKILL");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
