// What the engine waits for before it creates a resource: only what must be ready, never the
// readiness of something the resource merely talks to. Mocks do not wait, so these tests check
// the dependency graph; the e2e (tests/e2e) checks the waiting itself on a real cluster.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { buildConfig } from "../../config";
import { productionNamespace, qualifiedStackName } from "../../stack";
import { RecordingMocks } from "../../renderer";
import { STACKS, renderStack, resources } from "../harness";
import { mapSource, REQUIRED_CONFIG } from "../lib/config-source";

describe("ordering: the app waits for its Secret, not for its database", () => {
    // Every namespaced object also depends on where its namespace comes from: the Namespace, or
    // on the canary the StackReference to production ("production").
    const expectedDeps: Record<string, string[]> = {
        development: [
            "kline-analytics-config",
            "kline-analytics-namespace",
            "kline-analytics-postgresql-secret",
            "kline-analytics-serviceaccount",
        ],
        staging: ["kline-analytics-config", "kline-analytics-db-secret", "kline-analytics-namespace", "kline-analytics-serviceaccount"],
        production: ["kline-analytics-config", "kline-analytics-db-secret", "kline-analytics-namespace", "kline-analytics-serviceaccount"],
        // The canary uses production's Secret, which production's stack creates.
        canary: ["kline-analytics-config", "kline-analytics-serviceaccount", "production"],
    };
    for (const stack of STACKS) {
        it(`${stack}: the Deployment depends on its ServiceAccount, ConfigMap and database Secret only`, async () => {
            const r = await renderStack(stack);
            const [d] = resources(r, "kubernetes:apps/v1:Deployment").filter((x) => x.name === "kline-analytics-deployment");
            assert.deepEqual([...(d.options.dependsOn ?? [])].sort(), expectedDeps[stack]);
        });

        it(`${stack}: the Ingress waits for nothing (Pulumi awaits its address, not the pods behind it)`, async () => {
            const r = await renderStack(stack);
            const [ing] = resources(r, "kubernetes:networking.k8s.io/v1:Ingress");
            assert.deepEqual(ing.options.dependsOn ?? [], [stack === "canary" ? "production" : "kline-analytics-namespace"]);
        });
    }

    it("development: the database StatefulSet is not an ancestor of anything the app needs", async () => {
        const r = await renderStack("development");
        const dependents = r.resources.filter((x) => (x.options.dependsOn ?? []).some((d) => /postgresql(-statefulset)?$/.test(d)));
        assert.deepEqual(
            dependents.map((x) => x.name),
            [],
        );
    });
});

describe("canary: production is a StackReference", () => {
    it("every Kubernetes object of the canary waits for the reference to production", async () => {
        const r = await renderStack("canary");
        const k8s = r.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== "kubernetes:helm.sh/v3:Release");
        assert.ok(k8s.length >= 7, `${k8s.length} objects`);
        for (const x of k8s) assert.ok((x.options.dependsOn ?? []).includes("production"), `${x.type} ${x.name}: ${x.options.dependsOn}`);
    });

    it("no other stack depends on another stack", async () => {
        for (const stack of STACKS.filter((s) => s !== "canary")) {
            const r = await renderStack(stack);
            assert.deepEqual(
                r.resources.filter((x) => (x.options.dependsOn ?? []).includes("production")).map((x) => x.name),
                [],
                stack,
            );
        }
    });

    it("stack reference names are completed with this stack's organization and project", () => {
        assert.equal(qualifiedStackName("production", "acme", "kline-analytics"), "acme/kline-analytics/production");
        assert.equal(qualifiedStackName("other-project/prod", "acme", "kline-analytics"), "acme/other-project/prod");
        assert.equal(qualifiedStackName("org2/kline-analytics/prod", "acme", "kline-analytics"), "org2/kline-analytics/prod");
    });

    const source = (values: Record<string, string>, environment = "canary") => mapSource({ ...REQUIRED_CONFIG, environment, ...values });

    it("productionStack takes a stack, project/stack or organization/project/stack; anything else is refused", () => {
        assert.equal(buildConfig(source({})).app.canary?.productionStack, "production");
        assert.equal(
            buildConfig(source({ productionStack: "acme/kline-analytics/prod" })).app.canary?.productionStack,
            "acme/kline-analytics/prod",
        );
        for (const bad of ["a/b/c/d", "prod stack", "/production", "production/"]) {
            assert.throws(() => buildConfig(source({ productionStack: bad })), /productionStack = .*a stack reference is expected/, bad);
        }
    });

    it("productionStack on another stack is refused", () => {
        const src = source({ productionStack: "production" }, "staging");
        assert.throws(() => buildConfig(src), /productionStack is read only by the canary stack/);
    });

    const referenced: string[] = [];
    async function namespaceWith(outputs: Record<string, unknown>): Promise<string> {
        const cfg = buildConfig(source({}));
        const mocks = new RecordingMocks("us-west-2", (stack) => (referenced.push(stack), outputs));
        await pulumi.runtime.setMocks(mocks, "kline-analytics", "canary", false, "organization");
        const out = productionNamespace(cfg)!;
        return await (out as any).promise();
    }

    it("the canary reads the stack organization/kline-analytics/production by default", async () => {
        assert.equal(await namespaceWith({ namespace: "kline-analytics-production" }), "kline-analytics-production");
        assert.deepEqual(referenced, ["organization/kline-analytics/production"]);
    });

    it("a production stack without a namespace output stops the canary with the fix", async () => {
        await assert.rejects(namespaceWith({}), /organization\/kline-analytics\/production exports no namespace: deploy production first/);
    });

    it("a production namespace other than the canary's productionNamespace is refused, naming both", async () => {
        await assert.rejects(
            namespaceWith({ namespace: "elsewhere" }),
            /runs in namespace elsewhere, but this canary is configured for kline-analytics-production/,
        );
        assert.equal(await namespaceWith({ namespace: "kline-analytics-production" }), "kline-analytics-production");
    });
});
