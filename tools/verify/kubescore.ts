// kube-score over a set of objects. Gate: no CRITICAL finding; WARNINGs are reported.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KubeObject, toYaml } from "./manifest";
import { LintPolicy, exempts } from "./policy";
import { runTool } from "./sources";

export interface LintFinding {
    tool: "kube-score" | "trivy";
    object: string; // Kind namespace/name
    check: string;
    severity: string; // kube-score: CRITICAL | WARNING; trivy: CRITICAL | HIGH | MEDIUM | LOW
    message: string;
    gating: boolean;
}

const GRADES: Record<number, string> = { 1: "CRITICAL", 5: "WARNING", 7: "ALMOST_OK", 10: "OK" };

/** "Deployment/apps/v1/ns/name" (kube-score's object_name) -> "Deployment ns/name". */
function objectOf(item: any): string {
    const kind = item.type_meta?.kind ?? "?";
    const ns = item.object_meta?.namespace;
    return `${kind} ${ns ? `${ns}/` : ""}${item.object_meta?.name ?? "?"}`;
}

export function parseKubeScore(json: string): LintFinding[] {
    const findings: LintFinding[] = [];
    for (const item of JSON.parse(json) ?? []) {
        for (const c of item.checks ?? []) {
            if (c.skipped || c.grade >= 7) continue;
            const severity = GRADES[c.grade] ?? `grade ${c.grade}`;
            const comments: any[] = c.comments ?? [];
            const message =
                comments.map((m) => `${m.path ? `${m.path}: ` : ""}${m.summary}${m.description ? ` (${m.description})` : ""}`).join("; ") ||
                c.check.name;
            findings.push({
                tool: "kube-score",
                object: objectOf(item),
                check: c.check.id,
                severity,
                message,
                gating: c.grade <= 1,
            });
        }
    }
    return findings;
}

export function runKubeScore(objects: KubeObject[], policy: LintPolicy): LintFinding[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-kube-score-"));
    try {
        const file = path.join(dir, "manifest.yaml");
        fs.writeFileSync(file, toYaml(objects));
        const args = ["score", "--output-format", "json", "--color", "never", "--kubernetes-version", policy.kubeScore.kubernetesVersion];
        // Every switch-off comes from lint-policy.yaml; in-object annotations are not honoured.
        args.push("--disable-ignore-checks-annotations");
        for (const c of policy.kubeScore.ignore) if (!c.objects) args.push("--ignore-test", c.id);
        args.push(file);
        let stdout: string;
        try {
            stdout = runTool("kube-score", args);
        } catch (err: any) {
            // Exit 1 just means "critical findings"; no JSON means kube-score could not read the input.
            stdout = String(err.stdout ?? "");
            if (!stdout.trim().startsWith("[")) {
                throw new Error(
                    `kube-score could not score the manifest: ${String(err.stderr ?? "").trim() || stdout.trim() || err.message}`,
                );
            }
        }
        const scoped = policy.kubeScore.ignore.filter((c) => c.objects);
        return parseKubeScore(stdout).filter((f) => !scoped.some((c) => c.id === f.check && exempts(c, f.object)));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
