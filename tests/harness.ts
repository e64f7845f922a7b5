// Test helpers over the offline renderer. Each stack file is rendered once per test run and shared
// (rendering is deterministic); tests that change config render their own copy.
import { RenderOptions, RenderResult, ResourceRecord, STACKS, renderStack as render } from "../renderer";

export { STACKS };
export type { RenderResult, ResourceRecord };

const cache = new Map<string, Promise<RenderResult>>();

/** The rendered stack file (cached), or a fresh render with options. */
export function renderStack(stack: string, opts?: RenderOptions): Promise<RenderResult> {
    if (opts) return render(stack, opts);
    if (!cache.has(stack)) cache.set(stack, render(stack));
    return cache.get(stack)!;
}

/** Kubernetes objects of a kind (optionally one name). */
export function objects(result: RenderResult, kind: string, name?: string): any[] {
    return result.manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
}

/** Exactly one Kubernetes object of a kind and name; fails loudly otherwise. */
export function object(result: RenderResult, kind: string, name: string): any {
    const found = objects(result, kind, name);
    if (found.length !== 1) throw new Error(`${result.stack}: expected one ${kind} ${name}, found ${found.length}`);
    return found[0];
}

/** Registered resources of a Pulumi type token. */
export function resources(result: RenderResult, type: string): ResourceRecord[] {
    return result.resources.filter((r) => r.type === type);
}

/** Every pod spec in a manifest list, with where it came from. */
export function podSpecs(manifests: any[]): Array<{ owner: string; namespace: string; labels: Record<string, string>; spec: any }> {
    const out: Array<{ owner: string; namespace: string; labels: Record<string, string>; spec: any }> = [];
    for (const m of manifests) {
        const owner = `${m.kind}/${m.metadata?.name}`;
        const namespace = m.metadata?.namespace ?? "";
        if (m.kind === "Pod") out.push({ owner, namespace, labels: m.metadata?.labels ?? {}, spec: m.spec });
        else if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(m.kind)) {
            out.push({ owner, namespace, labels: m.spec?.template?.metadata?.labels ?? {}, spec: m.spec?.template?.spec });
        } else if (m.kind === "CronJob") {
            const t = m.spec?.jobTemplate?.spec?.template;
            out.push({ owner, namespace, labels: t?.metadata?.labels ?? {}, spec: t?.spec });
        }
    }
    return out;
}
