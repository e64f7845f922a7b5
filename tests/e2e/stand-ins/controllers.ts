// Stand-in controllers of the e2e cluster: the status updates that real controllers outside this
// repository make and that the program's objects wait on. They run in the e2e process, polling
// the API server once a second.
//
// - ingress-nginx's status writer: an Ingress of class nginx gets a load-balancer address (Pulumi
//   waits for one). Proves nothing about routing, TLS or the canary weight.
// - ECK's health reports: Elasticsearch, Kibana and Beat objects turn `health: green` a few
//   seconds after they are created (Pulumi waits for it through pulumi.com/waitFor). Proves the
//   wait and the ordering, nothing about Elasticsearch itself.
// - a slow database start: pods labelled as the development PostgreSQL are left alone by kwok and
//   become Ready only after `slowStartSeconds`, so the e2e can show that nothing else waits for
//   the database. Their deletion is confirmed as a kubelet would.
import { KubeClient, reason } from "../../../tools/verify/kubeclient";

const MERGE = { contentType: "application/merge-patch+json" };
export const LOAD_BALANCER_IP = "10.250.0.100";

const ECK_KINDS = [
    { path: "/apis/elasticsearch.k8s.elastic.co/v1/elasticsearches", kind: "Elasticsearch" },
    { path: "/apis/kibana.k8s.elastic.co/v1/kibanas", kind: "Kibana" },
    { path: "/apis/beat.k8s.elastic.co/v1beta1/beats", kind: "Beat" },
];

export interface StandInOptions {
    /** Seconds a slow-start pod stays Pending after it is scheduled. */
    slowStartSeconds: number;
    slowStartLabel: string;
    /** Seconds before an ECK object reports green. */
    eckDelaySeconds?: number;
}

export class StandInControllers {
    private timer?: NodeJS.Timeout;
    private running = false;
    /** When each object was made ready, by "<Kind>/<namespace>/<name>". */
    readonly readyAt = new Map<string, Date>();
    readonly errors: string[] = [];

    constructor(
        private readonly client: KubeClient,
        private readonly opts: StandInOptions,
    ) {}

    start(): void {
        const tick = async () => {
            if (this.running) return;
            this.running = true;
            try {
                await this.ingresses();
                await this.eck();
                await this.slowPods();
            } catch (err: any) {
                if (this.errors.length < 20) this.errors.push(String(err?.message ?? err));
            } finally {
                this.running = false;
            }
        };
        this.timer = setInterval(() => void tick(), 1000);
    }

    stop(): void {
        if (this.timer) clearInterval(this.timer);
    }

    private async ingresses(): Promise<void> {
        const res = await this.client.request("GET", "/apis/networking.k8s.io/v1/ingresses");
        for (const ing of res.body?.items ?? []) {
            if (ing.spec?.ingressClassName !== "nginx" || (ing.status?.loadBalancer?.ingress ?? []).length > 0) continue;
            const { namespace, name } = ing.metadata;
            const url = `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}/status`;
            const patch = { status: { loadBalancer: { ingress: [{ ip: LOAD_BALANCER_IP }] } } };
            const r = await this.client.request("PATCH", url, patch, MERGE);
            if (r.status !== 200) throw new Error(`ingress status ${namespace}/${name}: ${reason(r)}`);
            this.readyAt.set(`Ingress/${namespace}/${name}`, new Date());
        }
    }

    private async eck(): Promise<void> {
        const delayMs = (this.opts.eckDelaySeconds ?? 5) * 1000;
        for (const k of ECK_KINDS) {
            const res = await this.client.request("GET", k.path);
            if (res.status === 404) continue; // CRDs not installed (yet)
            for (const obj of res.body?.items ?? []) {
                const { namespace, name, generation, creationTimestamp, deletionTimestamp } = obj.metadata;
                if (deletionTimestamp || obj.status?.health === "green") continue;
                if (Date.now() - Date.parse(creationTimestamp) < delayMs) continue;
                const nodes =
                    k.kind === "Elasticsearch"
                        ? (obj.spec?.nodeSets ?? []).reduce((n: number, s: any) => n + (s.count ?? 0), 0)
                        : (obj.spec?.count ?? 1);
                const status: Record<string, unknown> = {
                    health: "green",
                    availableNodes: nodes,
                    version: obj.spec?.version,
                    observedGeneration: generation,
                };
                if (k.kind === "Elasticsearch") status.phase = "Ready";
                if (k.kind === "Beat") status.expectedNodes = nodes;
                const r = await this.client.request(
                    "PATCH",
                    `${k.path.replace(/\/([a-z]+)$/, `/namespaces/${namespace}/$1`)}/${name}/status`,
                    { status },
                    MERGE,
                );
                if (r.status !== 200) throw new Error(`${k.kind} status ${namespace}/${name}: ${reason(r)}`);
                this.readyAt.set(`${k.kind}/${namespace}/${name}`, new Date());
            }
        }
    }

    private async slowPods(): Promise<void> {
        const sel = encodeURIComponent(this.opts.slowStartLabel);
        const res = await this.client.request("GET", `/api/v1/pods?labelSelector=${sel}`);
        for (const pod of res.body?.items ?? []) {
            const { namespace, name, deletionTimestamp } = pod.metadata;
            const base = `/api/v1/namespaces/${namespace}/pods/${name}`;
            if (deletionTimestamp) {
                // What the kubelet does once the containers have stopped.
                await this.client.request("DELETE", base, { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 });
                continue;
            }
            if (!pod.spec?.nodeName || pod.status?.phase === "Running") continue;
            const scheduled = (pod.status?.conditions ?? []).find((c: any) => c.type === "PodScheduled" && c.status === "True");
            const since = Date.parse(scheduled?.lastTransitionTime ?? pod.metadata.creationTimestamp);
            if (Date.now() - since < this.opts.slowStartSeconds * 1000) continue;
            const now = new Date().toISOString();
            const status = {
                phase: "Running",
                startTime: now,
                podIP: "10.244.200.10",
                podIPs: [{ ip: "10.244.200.10" }],
                hostIP: "10.250.0.1",
                conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({
                    type,
                    status: "True",
                    lastTransitionTime: now,
                })),
                containerStatuses: (pod.spec.containers ?? []).map((c: any) => ({
                    name: c.name,
                    image: c.image,
                    imageID: "",
                    ready: true,
                    started: true,
                    restartCount: 0,
                    state: { running: { startedAt: now } },
                })),
            };
            const r = await this.client.request("PATCH", `${base}/status`, { status }, MERGE);
            if (r.status !== 200) throw new Error(`pod status ${namespace}/${name}: ${reason(r)}`);
            this.readyAt.set(`Pod/${namespace}/${name}`, new Date());
        }
    }
}
