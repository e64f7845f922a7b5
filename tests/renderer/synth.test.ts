// The offline renderer as a user runs it: files, determinism, config errors, and no secrets in out/.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { computeState } from "../../renderer";
import { SECRET_KEYS } from "../../config";
import { PROJECT_DIR, STACKS, renderStack } from "../../renderer";
import { writeRender } from "../../tools/synth";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kline-synth-"));
const read = (dir: string) =>
    Object.fromEntries(
        fs
            .readdirSync(dir)
            .sort()
            .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
    );

function synthCli(args: string[]) {
    return spawnSync(
        process.execPath,
        [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(PROJECT_DIR, "tools/synth.ts"), ...args],
        {
            cwd: PROJECT_DIR,
            encoding: "utf8",
        },
    );
}

describe("synth", () => {
    it("writes manifest.yaml (kubectl-shaped documents) and resources.json for production", async () => {
        const dir = tmp();
        const res = synthCli(["--stack", "production", "--out", dir]);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stdout, /stack production: \d+ resources, \d+ Kubernetes objects/);
        assert.match(res.stdout, /kubernetes:apps\/v1:Deployment/);
        const docs = parseAllDocuments(fs.readFileSync(path.join(dir, "manifest.yaml"), "utf8")).map((d) => d.toJS());
        assert.ok(docs.length > 5);
        const clusterScoped = new Set([
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
            "StorageClass",
            "PriorityClass",
        ]);
        for (const d of docs) {
            assert.ok(d.apiVersion && d.kind && d.metadata?.name, JSON.stringify(d).slice(0, 120));
            if (!clusterScoped.has(d.kind)) assert.ok(d.metadata.namespace, `${d.kind}/${d.metadata.name} has no namespace`);
        }
        const resources = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8"));
        for (const r of resources) assert.deepEqual(Object.keys(r).sort(), ["inputs", "name", "options", "parent", "type"]);
        assert.ok(resources.some((r: any) => r.type === "kline:app:KlineApp" && r.parent === null));
        assert.ok(resources.some((r: any) => r.type === "kubernetes:apps/v1:Deployment" && r.parent === "kline-analytics"));
        // No "undefined" from a template string; the committed CRDs' own descriptions use the word
        // (their inputs equal the committed files: tests/shared/crds.test.ts).
        const ownInputs = resources.filter((r: any) => r.type !== "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
        assert.ok(!JSON.stringify(ownInputs).includes("undefined"));
    });

    it("renders byte-identical files twice", async () => {
        const [a, b] = [tmp(), tmp()];
        writeRender(await renderStack("production", { overrides: {} }), a);
        writeRender(await renderStack("production", { overrides: {} }), b);
        assert.deepEqual(read(a), read(b));
    });

    it("exits non-zero naming the key when the config is invalid", () => {
        const res = synthCli(["--stack", "production", "--out", tmp(), "--config", "javaHeap=4g"]);
        assert.equal(res.status, 1);
        assert.match(res.stderr, /kline-analytics:javaHeap = "4g" does not fit memoryLimit = "4Gi"/);
        const unknown = synthCli(["--stack", "prod"]);
        assert.equal(unknown.status, 2);
        assert.match(unknown.stderr, /unknown stack "prod": known stacks are development, staging, production, canary/);
    });

    it("rejects a stack file key that Pulumi.yaml does not declare, as the CLI would", async () => {
        await assert.rejects(
            renderStack("staging", { overrides: { replicaCount: "2" } }),
            /uses configuration value 'replicaCount' which is not defined/,
        );
    });

    it("never writes a secret value: config secrets, generated passwords", async function () {
        this.timeout(240_000); // four stacks, three of them with several megabytes of CRDs
        // A distinctive value for every secret key the program knows.
        const secrets = Object.fromEntries(SECRET_KEYS.map((k, i) => [k, `https://never-render.example/${k}-${i}-4f1e9c`]));
        for (const stack of STACKS) {
            const dir = tmp();
            const r = await renderStack(stack, {
                overrides: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { secret: v }])),
            });
            writeRender(r, dir);
            const text = Object.values(read(dir)).join("\n");
            for (const value of Object.values(secrets)) assert.ok(!text.includes(value), `${stack}: ${value} leaked`);
            // The mock computes a concrete RandomPassword result; it must not appear either.
            for (const res of r.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword")) {
                const generated = computeState(res.type, res.name, res.inputs, "us-west-2").state.result;
                assert.ok(generated.length >= 24 && !text.includes(generated), `${stack}: generated password leaked`);
            }
            // Every stack that owns credentials renders them as the placeholder (the canary owns none).
            if (stack !== "canary") assert.ok(text.includes("[secret]"), `${stack}: no placeholder rendered`);
        }
    });
});
