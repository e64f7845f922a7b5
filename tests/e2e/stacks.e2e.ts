// npm run e2e: the program run the way its users run it. The real Pulumi CLI and Kubernetes
// provider (built from Go modules) preview, deploy, re-preview, change and destroy every stack on
// loopback clusters with real controllers and kwok's fake nodes. Stand-ins, each named so in its
// path: the Node.js language host, the aws and random providers, the three Helm charts, and the
// status updates of ingress-nginx and ECK (README "End-to-end tests" says what they do not prove).
//
// One cluster per environment, as in real life: production and the canary share one (the canary
// runs in production's namespace), staging and development have their own. Order: production,
// canary, staging, development. Development also gets a hand edit the drift check must report
// (scripts/drift-check.sh, as the scheduled workflow runs it) and a chart-version bump whose CRDs must be upgraded (crd-bump.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { chartCrds } from "../../components/shared/crds";
import { KUBE_PROMETHEUS_STACK_CHART } from "../../config/monitoring";
import { assembleCharts, chartVersion, StandInChart } from "./charts";
import { bumpPin, ChartBump, customObjects, dryRunWithField, eventSequence, liveCrd, versionsWithField, writeBumpedCrds } from "./crd-bump";
import { E2eCluster } from "./cluster";
import { Engine, EngineTools, findEngineTools, npmPin, REPO_ROOT, runCommandAsync } from "./engine";
import { diagnostics, engineOwned, expectedChange, key, plannedChange, readSynth, steps } from "./plan";
import { LOAD_BALANCER_IP } from "./stand-ins/controllers";

const KEEP = process.env.KLINE_E2E_KEEP === "1";
const TSNODE = path.join(REPO_ROOT, "node_modules", ".bin", "ts-node");
const PROGRAM_ENTRY = "tests/e2e/stand-ins/program.ts";
const ENTRY_FILE = "e2e-main.ts";
// Long enough that the app, created in the same update as 22 CRDs, still comes well before it.
const SLOW_DATABASE_SECONDS = 40;

/** Stack outputs docs/operations.md documents (the backticked names of its "Stack outputs" paragraph). */
function documentedOutputs(): string[] {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "operations.md"), "utf8");
    const para = doc.slice(doc.indexOf("Stack outputs (")).split("\n\n")[0];
    return [...para.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]);
}

function log(line: string): void {
    // Progress for the person watching CI; mocha prints the results.
    process.stdout.write(`      · ${line}\n`);
}

interface Context {
    tools: EngineTools;
    root: string;
    charts: StandInChart[];
}

/** The stand-in program entry, the charts and the transpile switch, for every pulumi run. */
function programEnv(ctx: Context, typeCheck: boolean): NodeJS.ProcessEnv {
    return {
        KLINE_E2E_STAND_IN_CHARTS: JSON.stringify(ctx.charts),
        // The first preview of each cluster type-checks the program as users' previews do; the rest skip it.
        PULUMI_NODEJS_TRANSPILE_ONLY: typeCheck ? "false" : "true",
    };
}

/** A project copy whose Pulumi.yaml runs the stand-in entry point instead of index.ts. */
function prepareEngine(ctx: Context, name: string, cluster: E2eCluster): Engine {
    const dir = path.join(ctx.root, name);
    fs.mkdirSync(dir, { recursive: true });
    const engine = new Engine(dir, ctx.tools, cluster.kubeconfig);
    engine.copyProject();
    // The entry point sits beside index.ts, as a user's would: the runtime then finds tsconfig.json
    // in the folder it runs in (it looks there, not beside the entry point).
    fs.writeFileSync(
        path.join(engine.project, ENTRY_FILE),
        `// Written by the e2e into its copy of the project: the program with the stand-in charts.\n` +
            `import outputs = require("./${PROGRAM_ENTRY.replace(/\.ts$/, "")}");\nexport = outputs;\n`,
    );
    const projectFile = path.join(engine.project, "Pulumi.yaml");
    const text = fs.readFileSync(projectFile, "utf8");
    assert.match(text, /^main: index\.ts$/m);
    fs.writeFileSync(projectFile, text.replace(/^main: index\.ts$/m, `main: ${ENTRY_FILE}`));
    engine.installPlugins();
    return engine;
}

async function pulumi(
    engine: Engine,
    ctx: Context,
    args: string[],
    opts: { check?: boolean; typeCheck?: boolean; timeoutMs?: number } = {},
) {
    const r = await engine.runAsync(args, {
        extraEnv: programEnv(ctx, opts.typeCheck ?? false),
        check: opts.check,
        timeoutMs: opts.timeoutMs,
    });
    log(`pulumi ${args.filter((a) => !a.startsWith("--non-interactive")).join(" ")}: exit ${r.code} in ${r.seconds.toFixed(0)}s`);
    return r;
}

async function synth(ctx: Context, engine: Engine, stack: string, outDir: string, overrides: string[] = []): Promise<void> {
    const args = [
        "--transpile-only",
        "tools/synth.ts",
        "--stack",
        stack,
        "--out",
        outDir,
        "--stack-file",
        path.join(engine.project, `Pulumi.${stack}.yaml`),
    ];
    for (const o of overrides) args.push("--config", o);
    await runCommandAsync(TSNODE, args, { cwd: REPO_ROOT, check: true });
}

/** scripts/deploy.sh against the engine, run from the project copy (as an operator runs it). */
async function deployScript(ctx: Context, engine: Engine, stack: string, args: string[]) {
    const r = await runCommandAsync(path.join(engine.project, "scripts", "deploy.sh"), args, {
        env: engine.environment({ ENVIRONMENT: stack, ...programEnv(ctx, false) }),
        cwd: engine.project,
        timeoutMs: 30 * 60_000,
    });
    log(`ENVIRONMENT=${stack} scripts/deploy.sh ${args.join(" ")}: exit ${r.code} in ${r.seconds.toFixed(0)}s`);
    return r;
}

interface Drift {
    type: string;
    name: string;
    op: string;
    properties: string[];
}

/**
 * The drift check exactly as the scheduled workflow runs it: scripts/drift-check.sh (pulumi refresh
 * --preview-only and pulumi preview, both --expect-no-changes) from the project copy. It exits 0
 * with no drift, 1 with drift, and names each drifted resource on a `drift:` line of its stderr;
 * both must agree. Returns the drifted resources.
 */
async function driftCheck(ctx: Context, engine: Engine, stack: string): Promise<Drift[]> {
    const out = path.join(engine.root, `drift-${stack}-${Date.now()}`);
    const r = await runCommandAsync(path.join(engine.project, "scripts", "drift-check.sh"), ["--stack", stack, "--out", out], {
        env: engine.environment(programEnv(ctx, false)),
        cwd: engine.project,
        timeoutMs: 15 * 60_000,
    });
    log(`scripts/drift-check.sh --stack ${stack}: exit ${r.code} in ${r.seconds.toFixed(0)}s`);
    assert.ok(r.code === 0 || r.code === 1, `drift-check failed (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    const prefix = `drift: ${stack}: `;
    const drifted = r.stderr
        .split("\n")
        .filter((l) => l.startsWith(prefix))
        .map((l) => {
            const m = /^(\S+) (\S+) \(([^:]+): (.*)\)$/.exec(l.slice(prefix.length));
            assert.ok(m, `unexpected drift line: ${l}`);
            return { type: m[1], name: m[2], op: m[3], properties: m[4] === "-" ? [] : m[4].split(", ") };
        });
    assert.equal(r.code, drifted.length > 0 ? 1 : 0, `exit ${r.code} with ${drifted.length} drift line(s):\n${r.stderr}`);
    for (const d of drifted) assert.ok(r.stdout.includes(`| \`${d.name}\` | \`${d.type}\` | ${d.op} |`), r.stdout);
    if (drifted.length > 0) log(drifted.map((d) => `${d.op} ${d.type} ${d.name} (${d.properties.join(", ")})`).join(" | "));
    return drifted;
}

/** Every Deployment, StatefulSet, DaemonSet and Job in the namespaces is Ready / Complete. */
async function assertWorkloadsReady(cluster: E2eCluster, namespaces: string[]): Promise<string[]> {
    const seen: string[] = [];
    for (const ns of namespaces) {
        for (const d of await cluster.list(`/apis/apps/v1/namespaces/${ns}/deployments`)) {
            const want = d.spec.replicas ?? 1;
            assert.equal(
                d.status?.readyReplicas ?? 0,
                want,
                `Deployment ${ns}/${d.metadata.name}: ${d.status?.readyReplicas ?? 0}/${want} ready`,
            );
            seen.push(`Deployment ${ns}/${d.metadata.name} ${want}/${want}`);
        }
        for (const s of await cluster.list(`/apis/apps/v1/namespaces/${ns}/statefulsets`)) {
            const want = s.spec.replicas ?? 1;
            assert.equal(
                s.status?.readyReplicas ?? 0,
                want,
                `StatefulSet ${ns}/${s.metadata.name}: ${s.status?.readyReplicas ?? 0}/${want} ready`,
            );
            seen.push(`StatefulSet ${ns}/${s.metadata.name} ${want}/${want}`);
        }
        for (const d of await cluster.list(`/apis/apps/v1/namespaces/${ns}/daemonsets`)) {
            const want = d.status?.desiredNumberScheduled ?? 0;
            assert.ok(
                want > 0 && d.status?.numberReady === want,
                `DaemonSet ${ns}/${d.metadata.name}: ${d.status?.numberReady}/${want} ready`,
            );
            seen.push(`DaemonSet ${ns}/${d.metadata.name} ${want}/${want}`);
        }
        for (const j of await cluster.list(`/apis/batch/v1/namespaces/${ns}/jobs`)) {
            const complete = (j.status?.conditions ?? []).some((c: any) => c.type === "Complete" && c.status === "True");
            assert.ok(complete, `Job ${ns}/${j.metadata.name} is not Complete: ${JSON.stringify(j.status)}`);
            seen.push(`Job ${ns}/${j.metadata.name} Complete`);
        }
    }
    return seen;
}

/** Namespaces a stack's objects live in (from its state). */
function stackNamespaces(exported: any): string[] {
    const out = new Set<string>();
    for (const r of exported.deployment?.resources ?? []) {
        const ns = r.outputs?.metadata?.namespace ?? (r.type === "kubernetes:core/v1:Namespace" ? r.outputs?.metadata?.name : undefined);
        if (typeof ns === "string") out.add(ns);
        if (r.type === "kubernetes:helm.sh/v3:Release" && typeof r.outputs?.namespace === "string") out.add(r.outputs.namespace);
    }
    return [...out].sort();
}

async function secretValue(cluster: E2eCluster, ns: string, name: string, k: string): Promise<string | undefined> {
    const s = await cluster.get(`/api/v1/namespaces/${ns}/secrets/${name}`);
    const v = s?.data?.[k];
    return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
}

/** Starts a cluster and a project copy for one describe block; returns their getter. */
function withCluster(ctx: Context, name: string, nodes: number): () => { ctx: Context; engine: Engine; cluster: E2eCluster } {
    let cluster: E2eCluster | undefined;
    let engine: Engine | undefined;
    before(async () => {
        cluster = await E2eCluster.start(name, { nodes, slowStartSeconds: SLOW_DATABASE_SECONDS });
        engine = prepareEngine(ctx, `${name}-cluster`, cluster);
    });
    after(async () => {
        if (cluster) await cluster.stop();
    });
    return () => {
        if (!cluster || !engine) throw new Error(`the ${name} cluster did not start`);
        return { ctx, engine, cluster };
    };
}

/** Property access that resolves when a test runs, not when mocha collects it. */
function lazy(get: () => { engine: Engine; cluster: E2eCluster }): { engine: Engine; cluster: E2eCluster } {
    return {
        get engine() {
            return get().engine;
        },
        get cluster() {
            return get().cluster;
        },
    };
}

/** The steps every stack goes through: init, preview, up, idempotency, outputs, secrets, a one-key change. */
function stackLifecycle(
    stack: string,
    get: () => { ctx: Context; engine: Engine; cluster: E2eCluster },
    opts: {
        secrets: string[];
        changeKey: string;
        changeValue: string;
        typeCheck?: boolean;
        /** [namespace, Secret, key] of generated passwords that must not reach the state in plain text. */
        generated?: Array<[string, string, string]>;
        /** Deploy with scripts/deploy.sh up (preview and update with the policy pack) instead of pulumi up. */
        viaDeployScript?: boolean;
    },
) {
    let synthDir = "";
    const ns = () => (stack === "canary" ? "kline-analytics-production" : `kline-analytics-${stack}`);

    it(`${stack}: pulumi stack init leaves the committed stack file as it is (only the passphrase salt is added)`, async () => {
        const { engine } = get();
        const committed = fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
        engine.run(["stack", "init", stack], { check: true });
        const after = fs.readFileSync(path.join(engine.project, `Pulumi.${stack}.yaml`), "utf8");
        const added = after.split("\n").filter((l) => !committed.split("\n").includes(l));
        const removed = committed.split("\n").filter((l) => !after.split("\n").includes(l));
        assert.deepEqual(removed, [], "stack init rewrote lines of the committed file");
        assert.deepEqual(
            added.map((l) => l.replace(/^encryptionsalt: v1:.*$/, "encryptionsalt: <salt>")),
            ["encryptionsalt: <salt>"],
        );
        for (const k of opts.secrets) engine.setSecret(stack, k);
    });

    it(`${stack}: pulumi preview succeeds and plans exactly the resources npm run synth renders`, async () => {
        const { ctx, engine } = get();
        synthDir = path.join(engine.root, `synth-${stack}`);
        await synth(ctx, engine, stack, synthDir);
        const r = await pulumi(engine, ctx, ["preview", "--stack", stack, "--json", "--non-interactive"], { typeCheck: opts.typeCheck });
        fs.writeFileSync(path.join(engine.root, `preview-${stack}.json`), r.stdout);
        assert.equal(r.code, 0, `preview failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
        const planned = steps(r.stdout);
        const creates = planned.filter((s) => s.op === "create" && !engineOwned(s.type, s.name)).map((s) => key(s.type, s.name));
        const rendered = readSynth(synthDir)
            .filter((x) => x.type !== "pulumi:pulumi:StackReference")
            .map((x) => key(x.type, x.name));
        assert.deepEqual([...creates].sort(), [...rendered].sort());
        assert.ok(creates.length > 5, `only ${creates.length} creates`);
        const warnings = diagnostics(r.stdout).filter((d) => !d.startsWith("info"));
        assert.deepEqual(warnings, [], "the preview printed warnings or errors");
        log(`${creates.length} creates planned, equal to synth's resources`);
    });

    it(`${stack}: ${opts.viaDeployScript ? "scripts/deploy.sh up (policy pack on)" : "pulumi up"} succeeds with Pulumi's awaiting on; every workload is Ready or Complete`, async () => {
        const { ctx, engine, cluster } = get();
        const r = opts.viaDeployScript
            ? await deployScript(ctx, engine, stack, ["up"])
            : await pulumi(engine, ctx, ["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive"], {
                  timeoutMs: 30 * 60_000,
              });
        fs.writeFileSync(path.join(engine.root, `up-${stack}.log`), r.stdout + r.stderr);
        cluster.assertHealthy();
        assert.equal(r.code, 0, `up failed:\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
        assert.doesNotMatch(r.stdout + r.stderr, /Undefined value/);
        assert.doesNotMatch(r.stdout + r.stderr, /^\s*(warning|error):/m);
        if (opts.viaDeployScript) assert.match(r.stdout + r.stderr, /Policy Packs run|kline-baseline-policy/i);
        const exported = JSON.parse(engine.run(["stack", "export", "--stack", stack], { check: true }).stdout);
        const seen = await assertWorkloadsReady(cluster, stackNamespaces(exported));
        assert.ok(
            seen.some((s) => s.startsWith("Deployment ") && s.includes("/kline-analytics")),
            `no app Deployment among ${seen.join(", ")}`,
        );
        log(seen.join("; "));
    });

    it(`${stack}: a second preview shows no changes (pulumi preview --expect-no-changes)`, async () => {
        const { ctx, engine } = get();
        const r = await pulumi(engine, ctx, ["preview", "--stack", stack, "--expect-no-changes", "--non-interactive"]);
        assert.equal(r.code, 0, `not idempotent:\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-2000)}`);
    });

    it(`${stack}: stack outputs hold every documented output; neither the state nor the update's output holds a secret in plain text`, async () => {
        const { engine, cluster } = get();
        const outputs = JSON.parse(engine.run(["stack", "output", "--stack", stack, "--json"], { check: true }).stdout);
        const expected = documentedOutputs().filter((o) => !(stack === "canary" && o === "backupBucket"));
        assert.deepEqual(
            expected.filter((o) => outputs[o] === undefined),
            [],
            "documented outputs missing from pulumi stack output",
        );
        assert.equal(outputs.namespace, ns());
        const generated: string[] = [];
        for (const [sns, name, k] of opts.generated ?? []) {
            const v = await secretValue(cluster, sns, name, k);
            assert.ok(v && v.length >= 16, `generated secret ${sns}/${name}.${k} not found in the cluster`);
            generated.push(v!);
        }
        const exported = engine.run(["stack", "export", "--stack", stack], { check: true }).stdout;
        const stackFile = fs.readFileSync(path.join(engine.project, `Pulumi.${stack}.yaml`), "utf8");
        const upLog = fs.readFileSync(path.join(get().engine.root, `up-${stack}.log`), "utf8");
        for (const secret of [...engine.secrets, ...generated]) {
            for (const form of [secret, Buffer.from(secret).toString("base64")]) {
                assert.ok(!exported.includes(form), `a secret appears in plain text in pulumi stack export (${secret.slice(0, 6)}...)`);
                assert.ok(!stackFile.includes(form), `a secret appears in plain text in Pulumi.${stack}.yaml`);
                assert.ok(!upLog.includes(form), `a secret appears in plain text in the output of pulumi up`);
            }
        }
        log(`${Object.keys(outputs).length} outputs; ${engine.secrets.length + generated.length} secret values absent from the state`);
    });

    it(`${stack}: a one-key change (${opts.changeKey}=${opts.changeValue}) previews as exactly the update synth predicts`, async () => {
        const { ctx, engine } = get();
        const changedDir = path.join(engine.root, `synth-${stack}-${opts.changeKey}`);
        await synth(ctx, engine, stack, changedDir, [`${opts.changeKey}=${opts.changeValue}`]);
        const want = expectedChange(readSynth(synthDir), readSynth(changedDir));
        assert.ok(want.create.length + want.update.length + want.delete.length > 0, "synth shows no change for this key");
        engine.run(["config", "set", "--stack", stack, opts.changeKey, opts.changeValue], { check: true });
        try {
            const r = await pulumi(engine, ctx, ["preview", "--stack", stack, "--json", "--non-interactive"]);
            assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000));
            assert.deepEqual(plannedChange(steps(r.stdout)), want);
            log(`planned: ${JSON.stringify(want)}`);
        } finally {
            engine.run(["config", "rm", "--stack", stack, opts.changeKey], { check: true });
        }
    });
}

describe("e2e: real Pulumi CLI and Kubernetes provider on loopback clusters (stand-ins: language host, aws/random providers, charts, ingress and ECK status)", function () {
    this.timeout(45 * 60_000);
    const ctx = {} as Context;

    before(function () {
        ctx.tools = findEngineTools();
        ctx.root = fs.mkdtempSync(path.join(os.tmpdir(), "kline-e2e-"));
        ctx.charts = assembleCharts(path.join(ctx.root, "charts"));
        log(`run folder ${ctx.root}${KEEP ? " (kept: KLINE_E2E_KEEP=1)" : ""}`);
    });

    after(function () {
        if (!KEEP && ctx.root) fs.rmSync(ctx.root, { recursive: true, force: true });
    });

    describe("production cluster: production, then the canary", () => {
        const get = withCluster(ctx, "production", 3);
        const live = lazy(get);

        it("the engine runs the Kubernetes provider at the version of the npm pin, and only installed plugins", () => {
            const plugins = JSON.parse(live.engine.run(["plugin", "ls", "--json"], { check: true }).stdout);
            const byName = Object.fromEntries(plugins.map((p: any) => [p.name, p.version]));
            assert.equal(byName.kubernetes, npmPin("@pulumi/kubernetes"));
            assert.equal(byName.aws, npmPin("@pulumi/aws"));
            assert.equal(byName.random, npmPin("@pulumi/random"));
        });

        it("canary: before production exists, preview fails at once naming the production stack", async () => {
            live.engine.run(["stack", "init", "canary"], { check: true });
            const r = await pulumi(live.engine, ctx, ["preview", "--stack", "canary", "--non-interactive"]);
            assert.notEqual(r.code, 0, "the canary previewed without production");
            // The StackReference's read of the production stack is what fails.
            assert.match(r.stdout + r.stderr, /organization\/kline-analytics\/production/);
            log(
                (r.stdout + r.stderr)
                    .split("\n")
                    .filter((l) => /error/i.test(l))
                    .slice(0, 3)
                    .join(" | "),
            );
            assert.ok(r.seconds < 120, `took ${r.seconds}s`);
            live.engine.run(["stack", "rm", "canary", "--yes"], { check: true });
            fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.canary.yaml"), path.join(live.engine.project, "Pulumi.canary.yaml"));
        });

        stackLifecycle("production", get, {
            secrets: ["dbPassword", "backupDbPassword", "restoreDbPassword", "slackWebhookUrl", "pagerdutyRoutingKey", "heartbeatUrl"],
            changeKey: "replicas",
            changeValue: "4",
            typeCheck: true,
            generated: [["monitoring", "grafana-admin", "admin-password"]],
        });

        it("production: every prometheus-operator CRD is installed by Pulumi, none by the chart, and the release Secret stays under 1 MiB", async () => {
            const secrets = await live.cluster.list("/api/v1/namespaces/monitoring/secrets?labelSelector=owner%3Dhelm");
            const release = secrets.find((s: any) => s.metadata.name.startsWith("sh.helm.release.v1.kube-prometheus-stack."));
            assert.ok(release, "no Helm release Secret for kube-prometheus-stack");
            const stored = Buffer.from(release.data.release, "base64");
            assert.ok(stored.length < 1024 * 1024, `release Secret is ${stored.length} bytes`);
            // Helm keeps the release as base64 of gzipped JSON; its manifest is what the chart installed.
            const manifest: string = JSON.parse(zlib.gunzipSync(Buffer.from(stored.toString("utf8"), "base64")).toString("utf8")).manifest;
            assert.doesNotMatch(manifest, /kind: CustomResourceDefinition/, "the chart installed CRDs itself");
            const pinned = chartCrds(KUBE_PROMETHEUS_STACK_CHART).map((c) => c.metadata.name);
            for (const name of pinned) {
                const crd = await liveCrd(live.cluster, name);
                assert.equal(crd.metadata.annotations?.["pulumi.com/patchForce"], "true", `${name} was not applied by the program`);
                assert.ok(
                    (crd.status?.conditions ?? []).some((c: any) => c.type === "Established" && c.status === "True"),
                    `${name} is not Established`,
                );
            }
            log(`release Secret ${(stored.length / 1024).toFixed(0)} KiB; ${pinned.length} prometheus-operator CRDs applied by Pulumi`);
        });

        it("production: the logging installer Job starts only after Elasticsearch and Kibana report green", async () => {
            const jobs = await live.cluster.list("/apis/batch/v1/namespaces/logging/jobs");
            assert.equal(jobs.length, 1);
            const created = Date.parse(jobs[0].metadata.creationTimestamp);
            for (const k of ["Elasticsearch/logging/logging", "Kibana/logging/logging"]) {
                const green = live.cluster.controllers.readyAt.get(k);
                assert.ok(green, `${k} was never reported green`);
                assert.ok(created >= Math.floor(green.getTime() / 1000) * 1000, `the Job was created before ${k} was green`);
            }
        });

        stackLifecycle("canary", get, { secrets: [], changeKey: "replicas", changeValue: "2" });

        it("canary: the canary Ingress has the ingress controller's address and its weight", async () => {
            const ing = await live.cluster.get(
                "/apis/networking.k8s.io/v1/namespaces/kline-analytics-production/ingresses/kline-analytics-canary",
            );
            assert.equal(ing.metadata.annotations["nginx.ingress.kubernetes.io/canary"], "true");
            assert.equal(ing.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"], "10");
            assert.equal(ing.status.loadBalancer.ingress[0].ip, LOAD_BALANCER_IP);
        });

        it("canary: pulumi destroy removes the canary and leaves production running", async () => {
            const r = await pulumi(live.engine, ctx, ["destroy", "--stack", "canary", "--yes", "--non-interactive"]);
            assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000));
            const ns = "kline-analytics-production";
            assert.equal(await live.cluster.get(`/apis/apps/v1/namespaces/${ns}/deployments/kline-analytics-canary`), undefined);
            const prod = await live.cluster.get(`/apis/apps/v1/namespaces/${ns}/deployments/kline-analytics`);
            assert.equal(prod.status.readyReplicas, 3);
        });

        it("production: pulumi destroy is refused by protect with a clear message, and deletes nothing", async () => {
            const before = (await live.cluster.list("/api/v1/namespaces")).length;
            const r = await pulumi(live.engine, ctx, ["destroy", "--stack", "production", "--yes", "--non-interactive"]);
            assert.notEqual(r.code, 0);
            assert.match(r.stdout + r.stderr, /protect/);
            assert.equal((await live.cluster.list("/api/v1/namespaces")).length, before);
            assert.ok(await live.cluster.get("/apis/apps/v1/namespaces/kline-analytics-production/deployments/kline-analytics"));
        });

        it("production: scripts/deploy.sh status prints the outputs and sees the rollout complete", async () => {
            const r = await deployScript(ctx, live.engine, "production", ["status"]);
            assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr.slice(-3000));
            assert.match(r.stdout, /kline-analytics-production/);
            assert.match(r.stdout + r.stderr, /successfully rolled out/);
        });
    });

    describe("staging cluster: deployed with scripts/deploy.sh", () => {
        const get = withCluster(ctx, "staging", 3);
        const live = lazy(get);

        stackLifecycle("staging", get, {
            secrets: ["dbPassword", "backupDbPassword", "restoreDbPassword", "slackWebhookUrl", "pagerdutyRoutingKey", "heartbeatUrl"],
            changeKey: "replicas",
            changeValue: "3",
            typeCheck: true,
            generated: [["monitoring", "grafana-admin", "admin-password"]],
            viaDeployScript: true,
        });

        it("staging: the policy pack, run by the real engine, stops a Deployment without limits at preview", async () => {
            const r = await live.engine.runAsync(["preview", "--stack", "staging", "--policy-pack", "policy", "--non-interactive"], {
                extraEnv: { ...programEnv(ctx, false), KLINE_E2E_DROP_APP_LIMITS: "1" },
            });
            log(`pulumi preview --policy-pack policy (app limits removed): exit ${r.code} in ${r.seconds.toFixed(0)}s`);
            assert.notEqual(r.code, 0, "the preview passed without limits");
            assert.match(r.stdout + r.stderr, /mandatory/);
            assert.match(r.stdout + r.stderr, /kline-analytics-deployment/);
            log(
                (r.stdout + r.stderr)
                    .split("\n")
                    .filter((l) => /\[mandatory\]/.test(l))
                    .slice(0, 2)
                    .join(" | ")
                    .trim(),
            );
        });

        it("staging: scripts/deploy.sh preview shows no changes and status sees the rollout complete", async () => {
            const p = await deployScript(ctx, live.engine, "staging", ["preview"]);
            assert.equal(p.code, 0, p.stdout.slice(-3000) + p.stderr.slice(-3000));
            assert.doesNotMatch(p.stdout, /[+~-] +kubernetes:/, "the preview after deploy.sh up plans changes");
            const s = await deployScript(ctx, live.engine, "staging", ["status"]);
            assert.equal(s.code, 0, s.stdout.slice(-3000) + s.stderr.slice(-3000));
            assert.match(s.stdout + s.stderr, /successfully rolled out/);
        });

        it("staging: pulumi destroy removes every object of the stack", async () => {
            await destroyCompletely(ctx, live.engine, live.cluster, "staging");
        });
    });

    describe("development cluster: its own database, destroyed at the end", () => {
        const get = withCluster(ctx, "development", 1);
        const live = lazy(get);

        stackLifecycle("development", get, {
            // The backup roles' passwords are generated with the in-cluster database: none is set.
            secrets: ["slackWebhookUrl", "pagerdutyRoutingKey", "heartbeatUrl"],
            changeKey: "replicas",
            changeValue: "2",
            typeCheck: true,
            generated: [
                ["kline-analytics-development", "kline-analytics-db", "password"],
                ["kline-analytics-development", "kline-analytics-db", "backup-password"],
                ["kline-analytics-development", "kline-analytics-db", "restore-password"],
                ["kline-analytics-development", "kline-analytics-backup-db", "backup-password"],
                ["monitoring", "grafana-admin", "admin-password"],
            ],
        });

        it("development: the backup jobs' Secret holds the role passwords the database was given", async () => {
            const ns = "kline-analytics-development";
            for (const key of ["backup-password", "restore-password"]) {
                const db = await secretValue(live.cluster, ns, "kline-analytics-db", key);
                const jobs = await secretValue(live.cluster, ns, "kline-analytics-backup-db", key);
                assert.ok(db && db.length === 32, `generated ${key} missing from kline-analytics-db`);
                assert.equal(jobs, db, `kline-analytics-backup-db.${key} differs from the database's`);
            }
        });

        it(`development: the app was created while its database was still starting (${SLOW_DATABASE_SECONDS}s), not after`, async () => {
            const ns = "kline-analytics-development";
            const app = await live.cluster.get(`/apis/apps/v1/namespaces/${ns}/deployments/kline-analytics`);
            const dbReady = live.cluster.controllers.readyAt.get(`Pod/${ns}/kline-analytics-postgresql-0`);
            assert.ok(dbReady, "the database pod was never started");
            const created = Date.parse(app.metadata.creationTimestamp);
            assert.ok(
                created < dbReady.getTime() - 5000,
                `app created at ${app.metadata.creationTimestamp}, database ready at ${dbReady.toISOString()}`,
            );
            log(`app created ${((dbReady.getTime() - created) / 1000).toFixed(0)}s before the database was Ready`);
        });

        it("development: a hand edit of a live object is drift naming exactly that object; pulumi up --refresh puts it back", async () => {
            const stack = "development";
            const url = "/api/v1/namespaces/kline-analytics-development/configmaps/kline-analytics-config";
            const original = (await live.cluster.get(url)).data["application.yaml"];
            // As `kubectl edit` does it: a merge patch under its own field manager.
            const edit = await live.cluster.client.request(
                "PATCH",
                `${url}?fieldManager=kubectl-edit`,
                { data: { "application.yaml": `${original}\n# changed by hand\n` } },
                { contentType: "application/merge-patch+json" },
            );
            assert.equal(edit.status, 200, JSON.stringify(edit.body));

            // The scheduled drift check: the live ConfigMap differs from the state (refresh), the program does not.
            const drifted = await driftCheck(ctx, live.engine, stack);
            assert.deepEqual(
                drifted.map((d) => `${d.op} ${d.type} ${d.name}`),
                ["update kubernetes:core/v1:ConfigMap kline-analytics-config"],
            );
            assert.ok(
                drifted[0].properties.some((p) => p.startsWith("data")),
                `changed properties: ${drifted[0].properties.join(", ")}`,
            );
            // The other command the drift check may run: an update's preview on a refreshed state.
            const expectNoChanges = () =>
                pulumi(live.engine, ctx, ["preview", "--stack", stack, "--expect-no-changes", "--refresh", "--non-interactive"]);
            const expect = await expectNoChanges();
            assert.notEqual(expect.code, 0, "preview --expect-no-changes --refresh passed with a hand edit in place");
            assert.match(expect.stdout + expect.stderr, /kline-analytics-config/);

            // Restoring is an update on the refreshed state: the program's value goes back.
            const restore = await pulumi(live.engine, ctx, [
                "up",
                "--stack",
                stack,
                "--refresh",
                "--yes",
                "--skip-preview",
                "--non-interactive",
            ]);
            assert.equal(restore.code, 0, restore.stdout.slice(-4000) + restore.stderr.slice(-2000));
            assert.match(restore.stdout, /kline-analytics-config/);
            assert.equal((await live.cluster.get(url)).data["application.yaml"], original);

            assert.deepEqual(await driftCheck(ctx, live.engine, stack), [], "drift reported after the restore");
            const clean = await expectNoChanges();
            assert.equal(clean.code, 0, clean.stdout.slice(-4000) + clean.stderr.slice(-2000));
        });

        it("development: a chart-version bump upgrades the chart's CRDs before the release, and no custom resource is lost", async () => {
            const stack = "development";
            const bumps: ChartBump[] = [
                {
                    chart: "kube-prometheus-stack",
                    from: "88.5.3",
                    to: "88.6.0-stand-in",
                    configFile: "config/monitoring.ts",
                    crd: "servicemonitors.monitoring.coreos.com",
                    field: "standInUpgradeField",
                    sample: {
                        apiVersion: "monitoring.coreos.com/v1",
                        namespace: "kline-analytics-development",
                        plural: "servicemonitors",
                        name: "kline-analytics",
                    },
                },
                {
                    chart: "eck-operator",
                    from: "3.5.0",
                    to: "3.6.0-stand-in",
                    configFile: "config/logging.ts",
                    crd: "elasticsearches.elasticsearch.k8s.elastic.co",
                    field: "standInUpgradeField",
                    sample: {
                        apiVersion: "elasticsearch.k8s.elastic.co/v1",
                        namespace: "logging",
                        plural: "elasticsearches",
                        name: "logging",
                    },
                },
            ];
            const groups = ["monitoring.coreos.com", "elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co", "beat.k8s.elastic.co"];
            const before = await customObjects(live.cluster, groups);
            assert.ok(before.size >= 8, `custom objects before: ${[...before.keys()].join(", ")}`);
            for (const b of bumps) {
                assert.deepEqual(versionsWithField(await liveCrd(live.cluster, b.crd), b.field), [], `${b.crd} has ${b.field} already`);
                const refused = await dryRunWithField(live.cluster, b);
                // Strict field validation refuses a field the served schema does not declare.
                assert.equal(
                    refused.status,
                    400,
                    `${b.sample.plural} with ${b.field} before the bump: ${refused.status} ${refused.message}`,
                );
                assert.ok(refused.message.includes(`unknown field "spec.${b.field}"`), refused.message);
                ctx.charts.push(chartVersion(ctx.charts, b.chart, b.to));
                writeBumpedCrds(live.engine.project, b);
                bumpPin(live.engine.project, b);
            }

            const preview = await pulumi(live.engine, ctx, ["preview", "--stack", stack, "--json", "--non-interactive"]);
            assert.equal(preview.code, 0, preview.stdout.slice(-4000) + preview.stderr.slice(-2000));
            const planned = plannedChange(steps(preview.stdout));
            assert.deepEqual(planned.create, []);
            assert.deepEqual(planned.delete, []);
            const crdKey = (b: ChartBump) =>
                key(
                    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
                    `${b.chart === "eck-operator" ? "logging" : "monitoring"}-crds-${b.crd}`,
                );
            const releaseKey = (b: ChartBump) =>
                key(
                    "kubernetes:helm.sh/v3:Release",
                    b.chart === "eck-operator" ? "logging-eck-operator" : "monitoring-kube-prometheus-stack",
                );
            assert.deepEqual(planned.update, bumps.flatMap((b) => [crdKey(b), releaseKey(b)]).sort());
            assert.ok(
                steps(preview.stdout).every((s) => s.op !== "replace" && s.op !== "create-replacement"),
                "the bump plans a replacement",
            );

            const eventLog = path.join(live.engine.root, "up-development-bump.events.jsonl");
            // --event-log is one of the CLI's debug flags: PULUMI_DEBUG_COMMANDS makes it available.
            const up = await live.engine.runAsync(
                ["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive", "--event-log", eventLog],
                {
                    extraEnv: { ...programEnv(ctx, false), PULUMI_DEBUG_COMMANDS: "true" },
                    timeoutMs: 30 * 60_000,
                },
            );
            log(`pulumi up --event-log (chart bump): exit ${up.code} in ${up.seconds.toFixed(0)}s`);
            live.cluster.assertHealthy();
            assert.equal(up.code, 0, up.stdout.slice(-6000) + up.stderr.slice(-3000));

            for (const b of bumps) {
                // The CRD was updated before the release's upgrade started.
                const crdDone = eventSequence(eventLog, "resOutputsEvent", `::${crdKey(b).split("::")[1]}`);
                const releaseStart = eventSequence(eventLog, "resourcePreEvent", `::${releaseKey(b).split("::")[1]}`);
                assert.equal(crdDone.length, 1, `${b.crd}: ${crdDone.length} outputs events`);
                assert.equal(releaseStart.length, 1, `${b.chart} release: ${releaseStart.length} pre events`);
                assert.ok(crdDone[0] < releaseStart[0], `${b.chart}: the release upgrade started before ${b.crd} was updated`);
                // The API server serves the new schema: the field is in every version and now accepted.
                const crd = await liveCrd(live.cluster, b.crd);
                assert.deepEqual(
                    versionsWithField(crd, b.field),
                    crd.spec.versions.filter((v: any) => v.schema?.openAPIV3Schema?.properties?.spec?.properties).map((v: any) => v.name),
                );
                const accepted = await dryRunWithField(live.cluster, b);
                assert.equal(accepted.status, 200, `${b.sample.plural} with ${b.field} after the bump: ${accepted.message}`);
            }
            // The releases run the new chart versions.
            const operator = await live.cluster.get("/apis/apps/v1/namespaces/monitoring/deployments/kube-prometheus-stack-operator");
            assert.equal(operator.metadata.labels.chart, "kube-prometheus-stack-88.6.0-stand-in");
            // Every custom object is still the same object (same uid): nothing deleted or re-created.
            const after = await customObjects(live.cluster, groups);
            assert.deepEqual([...after.entries()].sort(), [...before.entries()].sort());
            await assertWorkloadsReady(live.cluster, ["monitoring", "elastic-system", "logging"]);

            const again = await pulumi(live.engine, ctx, ["preview", "--stack", stack, "--expect-no-changes", "--non-interactive"]);
            assert.equal(again.code, 0, again.stdout.slice(-4000) + again.stderr.slice(-2000));
            log(`${bumps.map((b) => `${b.chart} ${b.from} -> ${b.to}`).join(", ")}: CRDs updated first; ${after.size} custom objects kept`);
        });

        it("development: pulumi destroy removes every object and leaves an empty stack", async () => {
            await destroyCompletely(ctx, live.engine, live.cluster, "development");
        });
    });
});

/** pulumi destroy, then: no resource left in the state and none of the stack's namespaces in the cluster. */
async function destroyCompletely(ctx: Context, engine: Engine, cluster: E2eCluster, stack: string): Promise<void> {
    const before = JSON.parse(engine.run(["stack", "export", "--stack", stack], { check: true }).stdout);
    const namespaces = stackNamespaces(before);
    assert.ok(namespaces.length >= 3, `namespaces: ${namespaces.join(", ")}`);
    const r = await pulumi(engine, ctx, ["destroy", "--stack", stack, "--yes", "--non-interactive"], { timeoutMs: 15 * 60_000 });
    cluster.assertHealthy();
    assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000));
    const after = JSON.parse(engine.run(["stack", "export", "--stack", stack], { check: true }).stdout);
    assert.deepEqual(
        (after.deployment?.resources ?? []).map((x: any) => x.urn),
        [],
    );
    for (const ns of namespaces) assert.equal(await cluster.get(`/api/v1/namespaces/${ns}`), undefined, `namespace ${ns} still exists`);
    // The CRDs are retainOnDelete: deleting one would delete every object of its kind in the cluster.
    const stateCrds: string[] = (before.deployment?.resources ?? [])
        .filter((x: any) => x.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
        .map((x: any) => x.outputs.metadata.name);
    assert.ok(stateCrds.length >= 22, `${stateCrds.length} CRDs in the state`);
    const live = new Set((await cluster.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).map((c: any) => c.metadata.name));
    assert.deepEqual(
        stateCrds.filter((n) => !live.has(n)),
        [],
        "pulumi destroy deleted CRDs",
    );
    log(
        `${(before.deployment?.resources ?? []).length} resources destroyed in ${r.seconds.toFixed(0)}s; namespaces gone: ${namespaces.join(", ")}; ${stateCrds.length} CRDs kept (retainOnDelete)`,
    );
}
