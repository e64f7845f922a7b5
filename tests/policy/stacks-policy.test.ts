// The policy pack's rules over the real program: every stack file rendered (tests/harness, the
// same renderer as `npm run synth`) must meet the whole baseline, checked across stacks as
// tools/policy-check.ts does. Then the policy proves it catches what config validation would
// otherwise have caught first: a rendered stack with a `latest` image or without limits fails
// with the policy's name.
import { strict as assert } from "assert";
import { RenderResult, ResourceRecord, STACKS, renderStack } from "../harness";
import { formatViolation } from "../../policy/rules/baseline";
import { checkRecords } from "../../tools/policy-check";

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

async function renderAll(): Promise<Map<string, RenderResult>> {
    const out = new Map<string, RenderResult>();
    for (const stack of STACKS) out.set(stack, await renderStack(stack));
    return out;
}

function others(all: Map<string, RenderResult>, stack: string): ResourceRecord[] {
    return [...all.entries()].filter(([s]) => s !== stack).flatMap(([, r]) => r.resources);
}

/** The records of the app's own Deployment (stable or canary) in a rendered stack. */
function appDeployment(records: ResourceRecord[]): ResourceRecord {
    const found = records.filter(
        (r) => r.type === "kubernetes:apps/v1:Deployment" && /^kline-analytics(-canary)?$/.test(r.inputs?.metadata?.name),
    );
    assert.equal(found.length, 1, "one app Deployment");
    return found[0];
}

describe("delivery: the policy pack over every rendered stack", () => {
    let all: Map<string, RenderResult>;
    before(async () => {
        all = await renderAll();
    });

    for (const stack of STACKS) {
        it(`${stack}: meets the whole baseline`, () => {
            const result = all.get(stack)!;
            const violations = checkRecords(result.resources, others(all, stack));
            assert.deepEqual(violations.map(formatViolation), []);
            // The rules had something to judge: pod templates in every stack, S3 buckets where they are created.
            assert.ok(result.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment"));
        });
    }

    it("a production render with an image tagged latest fails image-pinned, naming the Deployment", () => {
        const records = clone(all.get("production")!.resources);
        const dep = appDeployment(records);
        dep.inputs.spec.template.spec.containers[0].image = "ghcr.io/stocksanalyses/kline-analytics:latest";
        const violations = checkRecords(records, others(all, "production"));
        assert.deepEqual(
            violations.map((v) => [v.policy, v.resourceName]),
            [["image-pinned", dep.name]],
        );
        assert.match(violations[0].message, /uses the 'latest' tag/);
    });

    it("a staging render without resource limits fails container-resources", () => {
        const records = clone(all.get("staging")!.resources);
        const dep = appDeployment(records);
        for (const c of dep.inputs.spec.template.spec.containers) delete c.resources.limits;
        const violations = checkRecords(records, others(all, "staging"));
        assert.ok(violations.length >= 2);
        assert.ok(
            violations.every((v) => v.policy === "container-resources" && v.resourceName === dep.name),
            violations.map(formatViolation).join("\n"),
        );
        assert.ok(violations.some((v) => /resources\.limits\.memory is missing/.test(v.message)));
    });

    it("the canary fails namespace-network-policy when production's policies stop selecting its pods", () => {
        const production = clone(all.get("production")!.resources).filter(
            (r) => r.type !== "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        );
        const rest = others(all, "canary").filter((r) => !all.get("production")!.resources.includes(r));
        const violations = checkRecords(all.get("canary")!.resources, [...rest, ...production]);
        assert.deepEqual(
            violations.map((v) => v.policy),
            ["namespace-network-policy"],
        );
        assert.match(violations[0].message, /kline-analytics-production/);
    });

    it("the same breakages in a stack's config are refused earlier, by config validation", async () => {
        await assert.rejects(
            renderStack("production", { overrides: { image: "ghcr.io/stocksanalyses/kline-analytics:latest" } }),
            /kline-analytics:image = "ghcr\.io\/stocksanalyses\/kline-analytics:latest": the tag "latest" is not a version/,
        );
        await assert.rejects(
            renderStack("staging", { overrides: { memoryRequest: "3Gi" } }),
            /memoryRequest = "3Gi" is larger than memoryLimit/,
        );
    });
});
