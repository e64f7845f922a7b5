// Server-side dry-run of every object on a real kube-apiserver (see cluster.ts). Prerequisites
// are created for real, because a dry-run stores nothing: the namespaces with their labels
// (they carry the Pod Security levels), the CRDs the custom resources need (the manifest's own,
// else the pinned ones), and the service accounts pods run as. Then every object is POSTed with dryRun=All and
// fieldValidation=Strict, and the pod template of every pod-bearing object is dry-run as a Pod,
// because Pod Security admission enforces on pods (for workloads it only warns).
import { KubeObject, podTemplateOf, ref } from "./manifest";
import { CrdEntry } from "./schema";
import { KubeClient, KubeResponse, reason } from "./kubeclient";

export interface PodSecurityResult {
    object: string;
    namespace: string;
    level: string; // enforced level of the namespace
    passed: boolean;
    detail?: string;
}

export interface DryRunReport {
    serverVersion: string;
    total: number;
    accepted: string[];
    rejected: { object: string; reason: string }[];
    warnings: { object: string; warning: string }[];
    podSecurity: PodSecurityResult[];
    /** Enforced Pod Security level of every namespace the objects live in. */
    namespaces: Record<string, string>;
    notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (res: KubeResponse) => res.status >= 200 && res.status < 300;

function namespaceOf(obj: KubeObject, client: KubeClient): string | undefined {
    const info = client.resourceFor(obj.apiVersion, obj.kind);
    if (info && !info.namespaced) return undefined;
    return obj.metadata?.namespace ?? "default";
}

/** Installs (for real) a pinned CRD unless present, and waits until it is Established. */
async function installCrd(client: KubeClient, entry: CrdEntry, notes: string[]): Promise<void> {
    const name = entry.crd.metadata.name!;
    const url = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    const existing = await client.request("GET", url);
    if (existing.status === 404) {
        const { status: _status, ...crd } = entry.crd as any;
        const res = await client.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldManager=kline-verify", crd);
        if (!ok(res)) throw new Error(`installing CRD ${name} from ${entry.origin} failed: ${reason(res)}`);
        notes.push(`installed CRD ${name} (${entry.origin})`);
    }
    for (let i = 0; i < 120; i++) {
        const res = await client.request("GET", url);
        const established = (res.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True");
        if (established) return;
        await sleep(250);
    }
    throw new Error(`CRD ${name} did not become Established within 30s`);
}

/**
 * Applies (for real, server-side, strict field validation) a CRD the manifest declares, and waits
 * until it is Established: the custom resources after it need it served, as Pulumi's are.
 */
async function applyDeclaredCrd(client: KubeClient, crd: KubeObject): Promise<KubeResponse> {
    const name = encodeURIComponent(crd.metadata.name!);
    const url = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    const res = await client.request("PATCH", `${url}?fieldManager=kline-verify&force=true&fieldValidation=Strict`, crd, {
        contentType: "application/apply-patch+yaml",
    });
    if (!ok(res)) return res;
    for (let i = 0; i < 120; i++) {
        const cur = await client.request("GET", url);
        if ((cur.body?.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True")) return res;
        await sleep(250);
    }
    return { status: 504, body: { message: `CRD ${crd.metadata.name} did not become Established within 30s` }, warnings: [] };
}

const isCrd = (o: KubeObject) => o.kind === "CustomResourceDefinition" && o.apiVersion === "apiextensions.k8s.io/v1";

/** Creates or relabels a namespace so its labels are exactly those of the manifest. */
async function applyNamespace(client: KubeClient, ns: KubeObject): Promise<KubeResponse> {
    const url = `/api/v1/namespaces/${encodeURIComponent(ns.metadata.name!)}`;
    const current = await client.request("GET", url);
    if (current.status === 404) return client.create(ns);
    const updated = {
        ...current.body,
        metadata: {
            ...current.body.metadata,
            labels: ns.metadata.labels ?? {},
            annotations: ns.metadata.annotations ?? {},
        },
    };
    return client.request("PUT", `${url}?fieldValidation=Strict&fieldManager=kline-verify`, updated);
}

function duplicates(objects: KubeObject[]): string[] {
    const seen = new Set<string>();
    const dups: string[] = [];
    for (const o of objects) {
        const key = `${o.apiVersion}|${ref(o)}`;
        if (seen.has(key)) dups.push(ref(o));
        seen.add(key);
    }
    return dups;
}

/**
 * Dry-runs `objects`. `contextNamespaces` are Namespace objects another stack declares for
 * namespaces this one deploys into (canary runs in production's namespace): they are applied
 * first, so the pods are checked against the Pod Security level they will really meet.
 */
export async function dryRunAll(
    client: KubeClient,
    serverVersion: string,
    objects: KubeObject[],
    crdFor: (o: KubeObject) => CrdEntry | undefined,
    contextNamespaces: KubeObject[] = [],
): Promise<DryRunReport> {
    const report: DryRunReport = {
        serverVersion,
        total: objects.length,
        accepted: [],
        rejected: [],
        warnings: [],
        podSecurity: [],
        namespaces: {},
        notes: [],
    };
    const reject = (object: string, why: string) => report.rejected.push({ object, reason: why });

    for (const d of duplicates(objects)) reject(d, "declared more than once in the manifest (the second create would fail)");

    // 1. CRDs: those the manifest declares, for real; then pinned ones for custom resources no
    //    declared CRD defines and the server does not serve yet.
    const declaredCrds = objects.filter(isCrd);
    for (const crd of declaredCrds) {
        const res = await applyDeclaredCrd(client, crd);
        for (const w of res.warnings) report.warnings.push({ object: ref(crd), warning: w });
        if (ok(res)) report.accepted.push(ref(crd));
        else reject(ref(crd), reason(res));
    }
    if (declaredCrds.length > 0) await client.discover();
    let installed = false;
    for (const o of objects) {
        if (client.resourceFor(o.apiVersion, o.kind)) continue;
        const entry = crdFor(o);
        if (!entry) continue; // reported as rejected below
        await installCrd(client, entry, report.notes);
        installed = true;
    }
    if (installed) await client.discover();

    // 2. Namespaces, for real, with their labels; namespaces used but not declared are noted.
    const declared = new Map(objects.filter((o) => o.kind === "Namespace" && o.apiVersion === "v1").map((n) => [n.metadata.name!, n]));
    const levels = new Map<string, string>();
    for (const ns of declared.values()) {
        const res = await applyNamespace(client, ns);
        if (ok(res)) report.accepted.push(ref(ns));
        else reject(ref(ns), reason(res));
        levels.set(ns.metadata.name!, ns.metadata.labels?.["pod-security.kubernetes.io/enforce"] ?? "privileged (no enforce label)");
    }
    for (const ns of contextNamespaces) {
        if (declared.has(ns.metadata.name!)) continue;
        const res = await applyNamespace(client, ns);
        if (!ok(res)) throw new Error(`applying namespace ${ns.metadata.name} from another stack failed: ${reason(res)}`);
    }
    for (const o of objects) {
        const ns = namespaceOf(o, client);
        if (!ns || declared.has(ns) || levels.has(ns)) continue;
        const res = await client.request("GET", `/api/v1/namespaces/${encodeURIComponent(ns)}`);
        if (res.status === 404) {
            await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        }
        const level = res.body?.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
        levels.set(ns, level ?? "privileged (no enforce label)");
        const owner = contextNamespaces.some((c) => c.metadata.name === ns)
            ? "declared by another stack"
            : "not declared in any verified manifest";
        report.notes.push(
            `namespace ${ns} is used here but ${owner} (checked ${level ? `with enforce=${level}` : "without Pod Security labels"})`,
        );
    }

    report.namespaces = Object.fromEntries([...levels.entries()].sort());

    // 3. Server-side dry-run of every other object.
    const acceptedObjects: KubeObject[] = [];
    const tried = new Set<string>();
    for (const o of objects) {
        if ((o.kind === "Namespace" && o.apiVersion === "v1") || isCrd(o)) continue;
        const key = `${o.apiVersion}|${ref(o)}`;
        if (tried.has(key)) continue; // already rejected as a duplicate above
        tried.add(key);
        if (!client.resourceFor(o.apiVersion, o.kind)) {
            reject(ref(o), `the API server (${serverVersion}) does not serve ${o.apiVersion} ${o.kind} and no pinned CRD defines it`);
            continue;
        }
        const res = await client.dryRunCreate(o, namespaceOf(o, client));
        for (const w of res.warnings) report.warnings.push({ object: ref(o), warning: w });
        if (ok(res)) {
            report.accepted.push(ref(o));
            acceptedObjects.push(o);
        } else {
            reject(ref(o), reason(res));
        }
    }

    // 4. Pod Security: each pod template as a Pod in its namespace (enforce mode applies to pods).
    const createdAccounts: string[] = [];
    try {
        for (const o of acceptedObjects) {
            const template = podTemplateOf(o);
            if (!template) continue;
            const ns = namespaceOf(o, client) ?? "default";
            const account = template.spec?.serviceAccountName ?? template.spec?.serviceAccount ?? "default";
            const saUrl = `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(account)}`;
            if ((await client.request("GET", saUrl)).status === 404) {
                // The ServiceAccount admission plugin needs the account to exist; no controller makes "default" here.
                const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: account, namespace: ns } };
                const res = await client.create(sa, ns);
                if (!ok(res)) throw new Error(`creating service account ${ns}/${account} for the pod check failed: ${reason(res)}`);
                createdAccounts.push(saUrl);
            }
            // A StatefulSet's controller adds a volume per volumeClaimTemplate; so does the check.
            const claims: any[] = o.kind === "StatefulSet" ? ((o.spec as any)?.volumeClaimTemplates ?? []) : [];
            const spec =
                claims.length === 0
                    ? template.spec
                    : {
                          ...template.spec,
                          volumes: [
                              ...(template.spec?.volumes ?? []),
                              ...claims.map((c) => ({
                                  name: c.metadata?.name,
                                  persistentVolumeClaim: { claimName: `${c.metadata?.name}-${o.metadata.name}-0` },
                              })),
                          ],
                      };
            const pod: KubeObject = {
                apiVersion: "v1",
                kind: "Pod",
                metadata: {
                    name: `${o.metadata.name ?? "unnamed"}-pod-check`,
                    namespace: ns,
                    labels: template.metadata?.labels,
                    annotations: template.metadata?.annotations,
                },
                spec,
            };
            const res = await client.dryRunCreate(pod, ns);
            report.podSecurity.push({
                object: ref(o),
                namespace: ns,
                level: levels.get(ns) ?? "unknown",
                passed: ok(res),
                detail: ok(res) ? undefined : reason(res),
            });
        }
    } finally {
        for (const url of createdAccounts) await client.request("DELETE", url);
    }
    return report;
}

/** True when the dry-run found nothing wrong (warnings about Pod Security count as failures). */
export function dryRunPassed(r: DryRunReport): boolean {
    return r.rejected.length === 0 && r.podSecurity.every((p) => p.passed) && !r.warnings.some((w) => /PodSecurity/i.test(w.warning));
}
