// The e2e's loopback cluster: the real control plane with controllers (tools/verify/cluster.ts),
// kwok's fake nodes in three zones, a default StorageClass with pre-made volumes, and the
// stand-in controllers the program's objects wait on where no real controller can run here
// (see tests/e2e/stand-ins/controllers.ts).
import * as fs from "fs";
import * as path from "path";
import { FAKE_NODE_ANNOTATION, LocalCluster } from "../../tools/verify/cluster";
import { KubeClient, reason } from "../../tools/verify/kubeclient";
import { StandInControllers } from "./stand-ins/controllers";

export const ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"];
/** Pods with this label (the development stack's PostgreSQL) are started by the e2e, not by kwok. */
export const SLOW_START_LABEL = "app.kubernetes.io/name=kline-analytics-postgresql";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class E2eCluster {
    private constructor(
        readonly name: string,
        readonly cluster: LocalCluster,
        readonly controllers: StandInControllers,
    ) {}

    get client(): KubeClient {
        return this.cluster.client;
    }

    get kubeconfig(): string {
        return this.cluster.kubeconfig;
    }

    /** Starts a control plane with `nodes` fake nodes spread over the zones, storage and the stand-in controllers. */
    static async start(name: string, opts: { nodes: number; slowStartSeconds: number }): Promise<E2eCluster> {
        const cluster = await LocalCluster.start({ controllers: true, kwokDisregardLabel: SLOW_START_LABEL });
        try {
            for (let i = 0; i < opts.nodes; i++) await createNode(cluster.client, `${name}-node-${i}`, ZONES[i % ZONES.length]);
            await createStorage(cluster.client, 12);
            const controllers = new StandInControllers(cluster.client, {
                slowStartSeconds: opts.slowStartSeconds,
                slowStartLabel: SLOW_START_LABEL,
            });
            controllers.start();
            const c = new E2eCluster(name, cluster, controllers);
            await c.waitForNodesReady(opts.nodes);
            return c;
        } catch (err) {
            await cluster.stop();
            throw err;
        }
    }

    async waitForNodesReady(count: number, timeoutMs = 60_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const res = await this.client.request("GET", "/api/v1/nodes");
            const ready = (res.body?.items ?? []).filter((n: any) =>
                (n.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
            );
            if (ready.length >= count) return;
            await sleep(500);
        }
        throw new Error(`fake nodes not Ready within ${timeoutMs / 1000}s (is kwok running?):\n${this.cluster.tail("kwok")}`);
    }

    /** GET of a path; undefined when it does not exist. */
    async get(urlPath: string): Promise<any | undefined> {
        const res = await this.client.request("GET", urlPath);
        if (res.status === 404) return undefined;
        if (res.status !== 200) throw new Error(`GET ${urlPath}: ${reason(res)}`);
        return res.body;
    }

    async list(urlPath: string): Promise<any[]> {
        return (await this.get(urlPath))?.items ?? [];
    }

    /** Throws when a control-plane process has died (a dead controller looks like a hung await). */
    assertHealthy(): void {
        const dead = this.cluster.exited();
        if (dead.length > 0)
            throw new Error(`cluster ${this.name}: ${dead.join(", ")} exited:\n${dead.map((d) => this.cluster.tail(d)).join("\n")}`);
    }

    async stop(): Promise<void> {
        this.controllers.stop();
        await this.cluster.stop();
    }
}

async function createNode(client: KubeClient, name: string, zone: string): Promise<void> {
    const capacity = { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "500Gi" };
    const node = {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            annotations: { [FAKE_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": "us-west-2",
                type: "kwok",
            },
        },
        spec: {},
        status: { capacity, allocatable: capacity },
    };
    const res = await client.request("POST", "/api/v1/nodes", node);
    if (res.status !== 201) throw new Error(`creating node ${name}: ${reason(res)}`);
}

/**
 * A default StorageClass and pre-made volumes the PV controller binds claims to (no provisioner
 * runs here; the volumes are never mounted: no container runs).
 */
async function createStorage(client: KubeClient, volumes: number): Promise<void> {
    const sc = {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: "e2e-standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "kubernetes.io/no-provisioner",
        volumeBindingMode: "Immediate",
        reclaimPolicy: "Retain",
    };
    let res = await client.request("POST", "/apis/storage.k8s.io/v1/storageclasses", sc);
    if (res.status !== 201) throw new Error(`creating StorageClass: ${reason(res)}`);
    for (let i = 0; i < volumes; i++) {
        const pv = {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: `e2e-volume-${i}` },
            spec: {
                capacity: { storage: "500Gi" },
                accessModes: ["ReadWriteOnce"],
                storageClassName: "e2e-standard",
                persistentVolumeReclaimPolicy: "Retain",
                hostPath: { path: `/var/lib/e2e-volume-${i}` },
            },
        };
        res = await client.request("POST", "/api/v1/persistentvolumes", pv);
        if (res.status !== 201) throw new Error(`creating PersistentVolume: ${reason(res)}`);
    }
}

/** Writes text into the run's folder (for logs the e2e keeps on failure). */
export function keep(dir: string, name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}
