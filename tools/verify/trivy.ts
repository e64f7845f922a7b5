// trivy's Kubernetes misconfiguration checks (KSV*), the stand-in for kube-linter (whose module
// the Go module proxy does not serve). Each object is written to its own file, so every finding
// names the object it is about. Gate: no failed check at any severity, as kube-linter would.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { KubeObject, ref } from "./manifest";
import { LintFinding } from "./kubescore";
import { DisabledCheck, LintPolicy, exempts } from "./policy";
import { runTool } from "./sources";

/** trivy's own check id, e.g. "KSV-0017" or "KSV017" depending on the release. */
function checkId(m: any): string {
    return String(m.ID ?? m.AVDID ?? "?");
}

/** Same id written either way (KSV017 / KSV-0017 / AVD-KSV-0017) compares equal. */
export function normaliseCheckId(id: string): string {
    const m = /^(?:AVD-)?([A-Z]+)-?0*(\d+)$/i.exec(id.trim());
    return m ? `${m[1].toUpperCase()}${m[2].padStart(3, "0")}` : id.trim().toUpperCase();
}

export function parseTrivy(json: string, objectByFile: Map<string, string>, disabled: DisabledCheck[]): LintFinding[] {
    const report = JSON.parse(json);
    const findings: LintFinding[] = [];
    for (const result of report.Results ?? []) {
        const object = objectByFile.get(path.basename(result.Target ?? "")) ?? String(result.Target);
        for (const m of result.Misconfigurations ?? []) {
            if (m.Status && m.Status !== "FAIL") continue;
            const id = checkId(m);
            if (disabled.some((c) => normaliseCheckId(c.id) === normaliseCheckId(id) && exempts(c, object))) continue;
            findings.push({
                tool: "trivy",
                object,
                check: `${id} ${m.Title ?? ""}`.trim(),
                severity: String(m.Severity ?? "UNKNOWN"),
                message: String(m.Message ?? m.Description ?? ""),
                gating: true,
            });
        }
    }
    return findings;
}

export function runTrivy(objects: KubeObject[], policy: LintPolicy): LintFinding[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-trivy-"));
    try {
        const inputs = path.join(dir, "objects");
        fs.mkdirSync(inputs);
        const objectByFile = new Map<string, string>();
        objects.forEach((o, i) => {
            const safe = `${ref(o)}`.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 150);
            const file = `${String(i).padStart(4, "0")}-${safe}.yaml`;
            fs.writeFileSync(path.join(inputs, file), YAML.stringify(o, { lineWidth: 0 }));
            objectByFile.set(file, ref(o));
        });
        // Data the checks read: KSV-0125's list of registry domains we pull from.
        const dataDir = path.join(dir, "data");
        fs.mkdirSync(dataDir);
        fs.writeFileSync(
            path.join(dataDir, "kline.json"),
            JSON.stringify({ ksv0125: { trusted_registries: policy.trivy.trustedRegistries } }),
        );
        const ignoreFile = path.join(dir, "trivyignore");
        fs.writeFileSync(
            ignoreFile,
            policy.trivy.ignore
                .filter((c) => !c.objects)
                .map((c) => `${c.id}\n`)
                .join(""),
        );
        const args = [
            "config",
            "--format",
            "json",
            "--quiet",
            "--skip-check-update", // use the checks compiled into this pinned trivy; no download
            "--disable-telemetry", // no calls home, no version notices: this machine reaches registries only
            "--skip-version-check",
            "--config-data",
            dataDir,
            "--misconfig-scanners",
            "kubernetes",
            "--cache-dir",
            path.join(dir, "cache"),
            "--ignorefile",
            ignoreFile,
            "--exit-code",
            "0",
            inputs,
        ];
        let out: string;
        try {
            out = runTool("trivy", args);
        } catch (err: any) {
            throw new Error(`trivy could not scan the manifest: ${String(err.stderr ?? "").trim() || err.message}`);
        }
        return parseTrivy(out, objectByFile, policy.trivy.ignore);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
