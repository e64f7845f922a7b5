// Runs the four field verifiers over one manifest and says whether it passes:
// schema (published OpenAPI / pinned CRDs), kube-score, trivy (kube-linter stand-in), and
// server-side dry-run on a real kube-apiserver with Pod Security admission.
import { LocalCluster } from "./cluster";
import { DryRunReport, dryRunAll, dryRunPassed } from "./dryrun";
import { LintFinding, runKubeScore } from "./kubescore";
import { KubeObject, ref } from "./manifest";
import { operatorPodStandIns } from "./operator-pods";
import { LintPolicy } from "./policy";
import { SchemaValidator } from "./schema";
import { runTrivy } from "./trivy";

export interface StackReport {
    name: string;
    objects: number;
    schemaFailures: { object: string; errors: string[] }[];
    kubeScore: LintFinding[];
    trivy: LintFinding[];
    dryRun?: DryRunReport;
    errors: string[]; // a verifier that could not run
    seconds: Record<string, number>;
}

export interface VerifyContext {
    schema: SchemaValidator;
    policy: LintPolicy;
    cluster?: LocalCluster;
    /**
     * Objects of other stacks in the namespaces this stack deploys into without declaring them
     * (canary -> production's namespace, NetworkPolicies, PDBs): kube-score sees them, as the
     * cluster will, but only this stack's own objects are reported.
     */
    related?: KubeObject[];
}

async function timed<T>(seconds: Record<string, number>, key: string, fn: () => Promise<T> | T): Promise<T> {
    const t0 = Date.now();
    try {
        return await fn();
    } finally {
        seconds[key] = (Date.now() - t0) / 1000;
    }
}

export async function verifyObjects(name: string, objects: KubeObject[], ctx: VerifyContext): Promise<StackReport> {
    const r: StackReport = {
        name,
        objects: objects.length,
        schemaFailures: [],
        kubeScore: [],
        trivy: [],
        errors: [],
        seconds: {},
    };
    const guard = async (what: string, fn: () => Promise<void> | void) => {
        try {
            await timed(r.seconds, what, fn);
        } catch (err: any) {
            r.errors.push(`${what}: ${err?.message ?? err}`);
        }
    };
    await guard("schema", () => {
        r.schemaFailures = ctx.schema.validateAll(objects);
    });
    await guard("kube-score", () => {
        const own = new Set(objects.map(ref));
        const related = (ctx.related ?? []).filter((o) => !own.has(ref(o)));
        const standIns = operatorPodStandIns([...objects, ...related]);
        r.kubeScore = runKubeScore([...objects, ...related, ...standIns], ctx.policy).filter((f) => own.has(f.object));
    });
    await guard("trivy", () => {
        r.trivy = runTrivy(objects, ctx.policy);
    });
    if (ctx.cluster) {
        const cluster = ctx.cluster;
        await guard("dry-run", async () => {
            const namespaces = (ctx.related ?? []).filter((o) => o.kind === "Namespace" && o.apiVersion === "v1");
            r.dryRun = await dryRunAll(
                cluster.client,
                cluster.version,
                objects,
                (o) => ctx.schema.crdFor(o.apiVersion, o.kind),
                namespaces,
            );
        });
    } else {
        r.errors.push("dry-run: no kube-apiserver was started");
    }
    return r;
}

/**
 * Objects of other stacks that share a namespace with `own` without `own` declaring it: that
 * namespace's Namespace object (its Pod Security labels) and everything in it (NetworkPolicies,
 * PDBs, Services the cluster will also have).
 */
export function relatedObjects(own: KubeObject[], others: KubeObject[]): KubeObject[] {
    const declared = new Set(own.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
    const foreign = new Set(own.map((o) => o.metadata?.namespace).filter((ns): ns is string => !!ns && !declared.has(ns)));
    return others.filter((o) => (o.kind === "Namespace" ? foreign.has(o.metadata.name!) : foreign.has(o.metadata?.namespace ?? "")));
}

export function stackPassed(r: StackReport): boolean {
    return (
        r.errors.length === 0 &&
        r.schemaFailures.length === 0 &&
        !r.kubeScore.some((f) => f.gating) &&
        !r.trivy.some((f) => f.gating) &&
        r.dryRun !== undefined &&
        dryRunPassed(r.dryRun)
    );
}

function findingLine(f: LintFinding): string {
    return `      ${f.gating ? "✗" : "!"} [${f.severity}] ${f.object}: ${f.check} — ${f.message}`;
}

export function formatReport(r: StackReport): string {
    const lines: string[] = [];
    const broke = (what: string) => r.errors.some((e) => e.startsWith(`${what}:`));
    const mark = (good: boolean, what: string) => (good && !broke(what) ? "ok  " : "FAIL");
    const secs = (k: string) => (r.seconds[k] !== undefined ? ` (${r.seconds[k].toFixed(1)}s)` : "");
    lines.push(`== ${r.name}: ${r.objects} objects — ${stackPassed(r) ? "PASS" : "FAIL"}`);

    const valid = r.objects - r.schemaFailures.length;
    lines.push(
        `  ${mark(r.schemaFailures.length === 0, "schema")} schema      ${valid}/${r.objects} objects valid against published schemas${secs("schema")}`,
    );
    for (const s of r.schemaFailures) for (const e of s.errors) lines.push(`      ✗ ${s.object}: ${e}`);

    const ksCritical = r.kubeScore.filter((f) => f.gating).length;
    lines.push(
        `  ${mark(ksCritical === 0, "kube-score")} kube-score  ${ksCritical} critical, ${r.kubeScore.length - ksCritical} warnings${secs("kube-score")}`,
    );
    for (const f of r.kubeScore) lines.push(findingLine(f));

    lines.push(
        `  ${mark(r.trivy.length === 0, "trivy")} trivy       ${r.trivy.length} failed checks (kube-linter stand-in)${secs("trivy")}`,
    );
    for (const f of r.trivy) lines.push(findingLine(f));

    const d = r.dryRun;
    if (d) {
        const pss = d.podSecurity.filter((p) => p.passed).length;
        lines.push(
            `  ${mark(dryRunPassed(d), "dry-run")} dry-run     ${d.accepted.length}/${d.total} objects accepted by kube-apiserver ${d.serverVersion}; ` +
                `${pss}/${d.podSecurity.length} pod templates admitted under their namespace's enforced Pod Security level${secs("dry-run")}`,
        );
        lines.push(
            `      · namespaces (enforced Pod Security): ${Object.entries(d.namespaces)
                .map(([n, l]) => `${n}=${l}`)
                .join(", ")}`,
        );
        for (const x of d.rejected) lines.push(`      ✗ ${x.object}: ${x.reason}`);
        for (const p of d.podSecurity) {
            lines.push(
                `      ${p.passed ? "·" : "✗"} pod security ${p.object} in ${p.namespace} (enforce=${p.level})${p.detail ? `: ${p.detail}` : ""}`,
            );
        }
        for (const w of d.warnings) lines.push(`      ! warning ${w.object}: ${w.warning}`);
        for (const n of d.notes) lines.push(`      · ${n}`);
    }
    for (const e of r.errors) lines.push(`  FAIL ${e}`);
    return lines.join("\n");
}
