// A real, throw-away Kubernetes control plane on loopback: etcd + kube-apiserver built from
// their Go modules (.ci/setup/30-kube-tools.sh), random free ports, a private temp dir with a
// CA and serving certificate made by openssl, service-account signing keys, a static bearer
// token, and Pod Security admission on. Always call stop().
//
// Without options no controllers or kubelet run: the API server only validates and admits,
// which is all a server-side dry-run needs. With `controllers: true` (the e2e cluster) it also
// runs kube-controller-manager (Deployments, ReplicaSets, StatefulSets, Jobs, endpoints,
// garbage collection, namespace deletion, volume binding), kube-scheduler, and kwok
// (.ci/setup/50-engine-tools.sh), which plays the kubelet of fake nodes: it moves scheduled pods
// to Running/Ready and Job pods to Succeeded. Nothing runs a container.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { KubeClient } from "./kubeclient";
import { openssl, tool } from "./sources";
import { requireTool } from "../../tests/lib/tools";
import { makeServerCertificate } from "../lib/certificates";

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
    makeServerCertificate({
        openssl: openssl(),
        dir,
        caName: "kline-verify-ca",
        serverName: "kube-apiserver",
        certFile: "apiserver.crt",
        keyFile: "apiserver.key",
    });
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

export interface ClusterOptions {
    /** Also run kube-controller-manager, kube-scheduler and kwok (pods become Ready on fake nodes). */
    controllers?: boolean;
    /** Pods matching this label selector are left alone by kwok (the e2e starts them itself). */
    kwokDisregardLabel?: string;
}

export class LocalCluster {
    private readonly procs: { name: string; proc: ChildProcess }[] = [];
    private readonly dir: string;
    private readonly onExit = () => {
        // Last resort if the Node process dies without stop(): never leave servers behind.
        for (const { proc } of this.procs) proc.kill("SIGKILL");
    };
    private readonly onSignal = (signal: NodeJS.Signals) => {
        this.onExit();
        fs.rmSync(this.dir, { recursive: true, force: true });
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    client!: KubeClient;
    version = "";
    /** A kubeconfig for the cluster's admin (written only with `controllers: true`). */
    kubeconfig = "";

    private constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-verify-cluster-"));
    }

    /** Starts etcd and kube-apiserver (and the controllers when asked) and waits until they serve. */
    static async start(options: ClusterOptions = {}): Promise<LocalCluster> {
        const c = new LocalCluster();
        try {
            await c.boot(options);
            return c;
        } catch (err) {
            await c.stop();
            throw err;
        }
    }

    /** Log file of one of the cluster's processes (etcd, kube-apiserver, kube-controller-manager, ...). */
    logFile(name: string): string {
        return path.join(this.dir, `${name}.log`);
    }

    private spawnLogged(name: string, bin: string, args: string[]): ChildProcess {
        const log = this.logFile(name);
        const proc = spawn(bin, args, { stdio: ["ignore", fs.openSync(log, "a"), fs.openSync(log, "a")] });
        this.procs.push({ name, proc });
        return proc;
    }

    private async boot(options: ClusterOptions): Promise<void> {
        const etcdBin = tool("etcd");
        const apiserverBin = tool("kube-apiserver");
        const controllerBins = options.controllers
            ? {
                  kcm: requireTool("kube-controller-manager", "bash .ci/setup/30-kube-tools.sh"),
                  scheduler: requireTool("kube-scheduler", "bash .ci/setup/30-kube-tools.sh"),
                  kwok: requireTool("kwok", "bash .ci/setup/50-engine-tools.sh"),
              }
            : undefined;
        makeCertificates(this.dir);
        const token = crypto.randomBytes(32).toString("hex");
        fs.writeFileSync(path.join(this.dir, "tokens.csv"), `${token},kline-verify,kline-verify-uid,"system:masters"\n`, { mode: 0o600 });
        process.once("exit", this.onExit);
        process.once("SIGINT", this.onSignal);
        process.once("SIGTERM", this.onSignal);

        const [clientPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
        const etcd = this.spawnLogged("etcd", etcdBin, [
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
        ]);
        await waitFor("etcd", etcd, this.logFile("etcd"), 30_000, () => httpOk(`http://127.0.0.1:${clientPort}/health`));

        const f = (name: string) => path.join(this.dir, name);
        const apiserver = this.spawnLogged("kube-apiserver", apiserverBin, [
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
            // Only an allocation range for Service IPs; nothing is routed there.
            "--service-cluster-ip-range=10.96.0.0/16",
            "--endpoint-reconciler-type=none",
            `--enable-admission-plugins=${ADMISSION_PLUGINS.join(",")}`,
            // As on real clusters; Pod Security admission, not this flag, is what must stop privileged pods.
            "--allow-privileged=true",
            "--profiling=false",
            "--v=0",
        ]);
        const server = `https://127.0.0.1:${apiPort}`;
        const ca = fs.readFileSync(f("ca.crt"), "utf8");
        this.client = new KubeClient(server, token, ca);
        await waitFor("kube-apiserver", apiserver, this.logFile("kube-apiserver"), 120_000, async () => {
            const res = await this.client.request("GET", "/readyz");
            return res.status === 200;
        });
        const v = await this.client.request("GET", "/version");
        this.version = v.body?.gitVersion ?? "unknown";

        if (controllerBins) {
            this.kubeconfig = f("kubeconfig");
            fs.writeFileSync(this.kubeconfig, kubeconfigYaml(server, ca, token), { mode: 0o600 });
            await this.startControllers(controllerBins, options);
        }
        await this.client.discover();
    }

    private async startControllers(bins: { kcm: string; scheduler: string; kwok: string }, options: ClusterOptions): Promise<void> {
        const f = (name: string) => path.join(this.dir, name);
        const kc = this.kubeconfig;
        // What the controller manager and the scheduler share: the API server through the kubeconfig,
        // their own HTTPS endpoint on loopback (a free port, a self-signed certificate), one instance.
        const serving = (port: number, certDir: string) => [
            `--kubeconfig=${kc}`,
            `--authentication-kubeconfig=${kc}`,
            `--authorization-kubeconfig=${kc}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${port}`,
            `--cert-dir=${f(certDir)}`,
            "--leader-elect=false",
        ];
        const kcmPort = await freePort();
        const kcm = this.spawnLogged("kube-controller-manager", bins.kcm, [
            ...serving(kcmPort, "kcm-certs"),
            "--use-service-account-credentials=false",
            `--service-account-private-key-file=${f("sa.key")}`,
            `--root-ca-file=${f("ca.crt")}`,
            `--cluster-signing-cert-file=${f("ca.crt")}`,
            `--cluster-signing-key-file=${f("ca.key")}`,
            // No cloud: node IPAM and cloud controllers stay off, everything else runs.
            "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service,-route",
            "--profiling=false",
            "--v=1",
        ]);
        const schedulerPort = await freePort();
        const scheduler = this.spawnLogged("kube-scheduler", bins.scheduler, [
            ...serving(schedulerPort, "scheduler-certs"),
            "--profiling=false",
            "--v=1",
        ]);
        // The stages kwok plays (from its pinned module), laid down beside the binary by the setup script.
        const stages = path.join(path.dirname(fs.realpathSync(bins.kwok)), "stages.yaml");
        if (!fs.existsSync(stages)) throw new Error(`kwok's stages are missing (${stages}); rebuild: bash .ci/setup/50-engine-tools.sh`);
        const kwok = this.spawnLogged("kwok", bins.kwok, [
            `--kubeconfig=${kc}`,
            `--config=${stages}`,
            "--node-lease-duration-seconds=40",
            // Only nodes annotated as fake are kwok's; their pods get kwok's pod stages.
            "--manage-all-nodes=false",
            `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION}=fake`,
            "--cidr=10.244.0.0/16",
            "--node-ip=10.250.0.1",
            "--server-address=127.0.0.1:0",
            ...(options.kwokDisregardLabel ? [`--disregard-status-with-label-selector=${options.kwokDisregardLabel}`] : []),
            "--v=INFO",
        ]);
        const healthy = (port: number) => async () => {
            const res = await this.client.request("GET", "/healthz", undefined, { baseUrl: `https://127.0.0.1:${port}`, insecure: true });
            return res.status === 200;
        };
        await waitFor("kube-controller-manager", kcm, this.logFile("kube-controller-manager"), 120_000, healthy(kcmPort));
        await waitFor("kube-scheduler", scheduler, this.logFile("kube-scheduler"), 120_000, healthy(schedulerPort));
        // kwok has no readiness endpoint here: it is ready when it is still running a moment later.
        await sleep(1000);
        if (kwok.exitCode !== null || kwok.signalCode !== null) {
            throw new Error(
                `kwok exited (${kwok.exitCode ?? kwok.signalCode}) while starting; last log lines:\n${tail(this.logFile("kwok"))}`,
            );
        }
    }

    /** Processes of the cluster that have exited (each one is a broken cluster). */
    exited(): string[] {
        return this.procs.filter(({ proc }) => proc.exitCode !== null || proc.signalCode !== null).map(({ name }) => name);
    }

    /** Last lines of a process's log, for failure messages. */
    tail(name: string, lines = 25): string {
        return tail(this.logFile(name), lines);
    }

    /** Stops every process (controllers first, etcd last) and removes the temp dir (certs, token, data). */
    async stop(): Promise<void> {
        for (const { proc } of [...this.procs].reverse()) await stopProcess(proc);
        process.removeListener("exit", this.onExit);
        process.removeListener("SIGINT", this.onSignal);
        process.removeListener("SIGTERM", this.onSignal);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Annotation key that marks a Node as kwok's (value `fake`). */
export const FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node";

function kubeconfigYaml(server: string, ca: string, token: string): string {
    const caData = Buffer.from(ca).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: loopback",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${caData}`,
        "users:",
        "- name: admin",
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: loopback",
        "  context:",
        "    cluster: loopback",
        "    user: admin",
        "current-context: loopback",
        "",
    ].join("\n");
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
