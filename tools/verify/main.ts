// npm run verify [-- --stack <name>]... [--manifest <file>]... [--no-render]
// Renders every stack with the synth (npm run synth -- --all) and runs the verifiers over
// each out/<stack>/manifest.yaml: schema validation, kube-score, trivy, and server-side dry-run
// on a real kube-apiserver + etcd started here on loopback and always stopped at the end.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalCluster } from "./cluster";
import { readManifest } from "./manifest";
import { POLICY_FILE, loadPolicy } from "./policy";
import { SchemaValidator } from "./schema";
import { formatReport, relatedObjects, stackPassed, verifyObjects } from "./verify";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const STACKS = ["development", "staging", "production", "canary"];
const USAGE = "usage: npm run verify [-- --stack <name>]... [--manifest <file>]... [--no-render]";

interface Args {
    stacks: string[];
    manifests: string[];
    render: boolean;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { stacks: [], manifests: [], render: true };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
            return v;
        };
        if (a === "--stack") {
            const s = value();
            if (!STACKS.includes(s)) throw new Error(`unknown stack "${s}": known stacks are ${STACKS.join(", ")}\n${USAGE}`);
            args.stacks.push(s);
        } else if (a === "--manifest") args.manifests.push(path.resolve(value()));
        else if (a === "--no-render") args.render = false;
        else throw new Error(`unknown argument "${a}"\n${USAGE}`);
    }
    if (args.stacks.length === 0 && args.manifests.length === 0) args.stacks = [...STACKS];
    return args;
}

function render(stacks: string[]): void {
    const tsNode = path.join(PROJECT_DIR, "node_modules", "ts-node", "dist", "bin.js");
    const flags = stacks.length === STACKS.length ? ["--all"] : stacks.flatMap((s) => ["--stack", s]);
    execFileSync(process.execPath, [tsNode, "--transpile-only", path.join(PROJECT_DIR, "tools", "synth.ts"), ...flags], {
        cwd: PROJECT_DIR,
        stdio: ["ignore", "inherit", "inherit"],
    });
}

async function main(): Promise<number> {
    const started = Date.now();
    const args = parseArgs(process.argv.slice(2));
    const targets = [
        ...args.stacks.map((s) => ({ name: `stack ${s}`, file: path.join(PROJECT_DIR, "out", s, "manifest.yaml") })),
        ...args.manifests.map((f) => ({ name: path.relative(PROJECT_DIR, f) || f, file: f })),
    ];
    if (args.render && args.stacks.length > 0) {
        const t0 = Date.now();
        // Always all four: a stack may deploy into another's namespace (canary -> production), and
        // its objects are checked with that stack's namespace labels and NetworkPolicies in view.
        render(STACKS);
        console.log(`rendered ${STACKS.join(", ")} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    const policy = loadPolicy();
    let t0 = Date.now();
    const schema = SchemaValidator.load();
    console.log(
        `loaded schemas (Kubernetes OpenAPI + ${schema.crds.length} pinned CRDs) in ${((Date.now() - t0) / 1000).toFixed(1)}s; lint policy ${path.relative(PROJECT_DIR, POLICY_FILE)}`,
    );
    t0 = Date.now();
    const cluster = await LocalCluster.start();
    console.log(`kube-apiserver ${cluster.version} + etcd up on loopback in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    let failed = 0;
    const summary: string[] = [];
    try {
        const loaded = targets.map((t) => ({ ...t, objects: readManifest(t.file) }));
        // Rendered stacks not being verified still count as context (when their manifest exists).
        const contextOnly = STACKS.filter((s) => !args.stacks.includes(s))
            .map((s) => path.join(PROJECT_DIR, "out", s, "manifest.yaml"))
            .filter((f) => fs.existsSync(f) && !args.manifests.includes(f))
            .map((f) => ({ file: f, objects: readManifest(f) }));
        for (const t of loaded) {
            const others = [...loaded.filter((o) => o !== t), ...contextOnly].flatMap((o) => o.objects);
            const related = relatedObjects(t.objects, others);
            const report = await verifyObjects(t.name, t.objects, { schema, policy, cluster, related });
            console.log(formatReport(report));
            if (!stackPassed(report)) failed++;
            const d = report.dryRun;
            const ran = (what: string) => !report.errors.some((e) => e.startsWith(`${what}:`));
            summary.push(
                `  ${stackPassed(report) ? "PASS" : "FAIL"} ${t.name}: ${report.objects - report.schemaFailures.length}/${report.objects} schema-valid, ` +
                    `kube-score ${ran("kube-score") ? `${report.kubeScore.filter((f) => f.gating).length} critical` : "did not run"}, ` +
                    `trivy ${ran("trivy") ? `${report.trivy.length} failed` : "did not run"}, ` +
                    `dry-run ${d ? `${d.accepted.length}/${d.total}` : "n/a"} accepted`,
            );
        }
    } finally {
        await cluster.stop();
    }
    console.log(`\nverify summary (${((Date.now() - started) / 1000).toFixed(1)}s):\n${summary.join("\n")}`);
    return failed === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(`verify: ${err?.message ?? err}`);
        process.exit(1);
    },
);
