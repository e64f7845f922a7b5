// A real, throw-away Kubernetes control plane on loopback: etcd + kube-apiserver built from
// their Go modules (.ci/setup/30-kube-tools.sh), random free ports, a private temp dir with a
// CA and serving certificate made by openssl, service-account signing keys, a static bearer
// token, and Pod Security admission on. No controllers or kubelet run: the API server only
// validates and admits, which is all a server-side dry-run needs. Always call stop().
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { KubeClient } from "./kubeclient";
import { openssl, tool } from "./sources";

export const ADMISSION_PLUGINS = [
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "PodSecurity",
    "DefaultStorageClass",
    "DefaultTolerationSeconds",
    "ResourceQuota",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
];

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 25): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}

function makeCertificates(dir: string): void {
    const ssl = openssl();
    const run = (args: string[]) => execFileSync(ssl, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run([
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=kline-verify-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(["req", ...ec, "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver"]);
    fs.writeFileSync(
        path.join(dir, "apiserver.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
    );
    run([
        "x509",
        "-req",
        "-in",
        "apiserver.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "apiserver.crt",
        "-days",
        "2",
        "-extfile",
        "apiserver.ext",
    ]);
    // Service-account token signing keys (the API server refuses to start without them).
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "sec1", format: "pem" }), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
}

async function waitFor(what: string, proc: ChildProcess, log: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
            throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}) while starting; last log lines:\n${tail(log)}`);
        }
        if (await probe().catch(() => false)) return;
        await sleep(250);
    }
    throw new Error(`${what} was not ready within ${timeoutMs / 1000}s; last log lines:\n${tail(log)}`);
}

function stopProcess(proc: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        proc.once("exit", () => {
            clearTimeout(timer);
            resolve();
        });
        proc.kill("SIGTERM");
    });
}

export class LocalCluster {
    private etcd?: ChildProcess;
    private apiserver?: ChildProcess;
    private readonly dir: string;
    private readonly onExit = () => {
        // Last resort if the Node process dies without stop(): never leave servers behind.
        this.apiserver?.kill("SIGKILL");
        this.etcd?.kill("SIGKILL");
    };
    private readonly onSignal = (signal: NodeJS.Signals) => {
        this.onExit();
        fs.rmSync(this.dir, { recursive: true, force: true });
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    client!: KubeClient;
    version = "";

    private constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-verify-cluster-"));
    }

    /** Starts etcd and kube-apiserver and waits until /readyz answers ok. */
    static async start(): Promise<LocalCluster> {
        const c = new LocalCluster();
        try {
            await c.boot();
            return c;
        } catch (err) {
            await c.stop();
            throw err;
        }
    }

    private async boot(): Promise<void> {
        const etcdBin = tool("etcd");
        const apiserverBin = tool("kube-apiserver");
        makeCertificates(this.dir);
        const token = crypto.randomBytes(32).toString("hex");
        fs.writeFileSync(path.join(this.dir, "tokens.csv"), `${token},kline-verify,kline-verify-uid,"system:masters"\n`, { mode: 0o600 });
        process.once("exit", this.onExit);
        process.once("SIGINT", this.onSignal);
        process.once("SIGTERM", this.onSignal);

        const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
        const etcdLog = path.join(this.dir, "etcd.log");
        this.etcd = spawn(
            etcdBin,
            [
                "--name",
                "verify",
                "--data-dir",
                path.join(this.dir, "etcd-data"),
                "--listen-client-urls",
                `http://127.0.0.1:${clientPort}`,
                "--advertise-client-urls",
                `http://127.0.0.1:${clientPort}`,
                "--listen-peer-urls",
                `http://127.0.0.1:${peerPort}`,
                "--initial-advertise-peer-urls",
                `http://127.0.0.1:${peerPort}`,
                "--initial-cluster",
                `verify=http://127.0.0.1:${peerPort}`,
                "--unsafe-no-fsync", // throw-away data: skip fsync to keep the 2-core CI fast
                "--log-level",
                "warn",
            ],
            { stdio: ["ignore", fs.openSync(etcdLog, "a"), fs.openSync(etcdLog, "a")] },
        );
        await waitFor("etcd", this.etcd, etcdLog, 30_000, () => httpOk(`http://127.0.0.1:${clientPort}/health`));

        const apiLog = path.join(this.dir, "kube-apiserver.log");
        const f = (name: string) => path.join(this.dir, name);
        this.apiserver = spawn(
            apiserverBin,
            [
                `--etcd-servers=http://127.0.0.1:${clientPort}`,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                `--secure-port=${apiPort}`,
                `--cert-dir=${this.dir}`,
                `--tls-cert-file=${f("apiserver.crt")}`,
                `--tls-private-key-file=${f("apiserver.key")}`,
                `--token-auth-file=${f("tokens.csv")}`,
                "--authorization-mode=RBAC",
                "--anonymous-auth=false",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                `--service-account-key-file=${f("sa.pub")}`,
                `--service-account-signing-key-file=${f("sa.key")}`,
                // Only an allocation range for Service dry-runs; nothing is routed there.
                "--service-cluster-ip-range=10.96.0.0/16",
                "--endpoint-reconciler-type=none",
                `--enable-admission-plugins=${ADMISSION_PLUGINS.join(",")}`,
                // As on real clusters; Pod Security admission, not this flag, is what must stop privileged pods.
                "--allow-privileged=true",
                "--profiling=false",
                "--v=0",
            ],
            { stdio: ["ignore", fs.openSync(apiLog, "a"), fs.openSync(apiLog, "a")] },
        );
        this.client = new KubeClient(`https://127.0.0.1:${apiPort}`, token, fs.readFileSync(f("ca.crt"), "utf8"));
        await waitFor("kube-apiserver", this.apiserver, apiLog, 120_000, async () => {
            const res = await this.client.request("GET", "/readyz");
            return res.status === 200;
        });
        const v = await this.client.request("GET", "/version");
        this.version = v.body?.gitVersion ?? "unknown";
        await this.client.discover();
    }

    /** Stops kube-apiserver, then etcd, and removes the temp dir (certs, token, data). */
    async stop(): Promise<void> {
        await stopProcess(this.apiserver);
        await stopProcess(this.etcd);
        process.removeListener("exit", this.onExit);
        process.removeListener("SIGINT", this.onSignal);
        process.removeListener("SIGTERM", this.onSignal);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function httpOk(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get(url, { timeout: 2000 }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => req.destroy());
    });
}
