// The CRDs of the Helm charts are Pulumi resources, read from crds/<chart>/<chart version>/: a chart
// pin without its CRDs stops the program, each CRD is kept on delete and owned by this program, the
// releases install after them and without their own copy, and every custom resource the program
// creates has its CRD in the same stack (the canary uses production's).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chartCrdDir, chartCrds, ownedCrd, withoutDescriptions } from "../../components/shared/crds";
import { ECK_OPERATOR_CHART } from "../../config/logging";
import { KUBE_PROMETHEUS_STACK_CHART } from "../../config/monitoring";
import { PROMETHEUS_OPERATOR_VERSION } from "../../tools/verify/sources";
import { renderStack, resources, RenderResult } from "../harness";

const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function tmp(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "kline-crds-"));
}

describe("CRDs of the pinned charts (crds/<chart>/<version>/)", () => {
    it("kube-prometheus-stack 88.5.3: the ten prometheus-operator CRDs of the operator release the chart ships", () => {
        const crds = chartCrds(KUBE_PROMETHEUS_STACK_CHART);
        assert.deepEqual(
            crds.map((c) => c.metadata.name),
            [
                "alertmanagerconfigs",
                "alertmanagers",
                "podmonitors",
                "probes",
                "prometheusagents",
                "prometheuses",
                "prometheusrules",
                "scrapeconfigs",
                "servicemonitors",
                "thanosrulers",
            ].map((n) => `${n}.monitoring.coreos.com`),
        );
        for (const c of crds) {
            assert.equal(
                c.metadata.annotations?.["operator.prometheus.io/version"],
                PROMETHEUS_OPERATOR_VERSION.replace(/^v/, ""),
                c.metadata.name,
            );
        }
    });

    it("eck-operator 3.5.0: the twelve ECK CRDs, Elasticsearch, Kibana and Beat among them", () => {
        const names = chartCrds(ECK_OPERATOR_CHART).map((c) => c.metadata.name);
        assert.equal(names.length, 12);
        for (const n of ["elasticsearches.elasticsearch.k8s.elastic.co", "kibanas.kibana.k8s.elastic.co", "beats.beat.k8s.elastic.co"]) {
            assert.ok(names.includes(n), `${n} missing from ${names.join(", ")}`);
        }
    });

    it("a chart version without its CRDs stops the program, naming the folder, the versions present and the fix", () => {
        const root = tmp();
        try {
            fs.mkdirSync(path.join(root, "kube-prometheus-stack", "88.5.3"), { recursive: true });
            fs.writeFileSync(path.join(root, "kube-prometheus-stack", "88.5.3", "a.yaml"), "");
            assert.throws(
                () => chartCrds({ name: "kube-prometheus-stack", version: "88.6.0" }, root),
                (err: Error) => {
                    assert.match(err.message, /the CRDs of Helm chart kube-prometheus-stack 88\.6\.0 are missing/);
                    assert.ok(err.message.includes(path.join("kube-prometheus-stack", "88.6.0")), err.message);
                    assert.match(err.message, /crds\/README\.md/);
                    assert.match(err.message, /present: 88\.5\.3/);
                    return true;
                },
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("refuses anything but CRDs in a CRD folder, and a CRD defined twice", () => {
        const root = tmp();
        const chart = { name: "c", version: "1.0.0" };
        const dir = chartCrdDir(chart, root);
        fs.mkdirSync(dir, { recursive: true });
        const crd = (name: string) =>
            `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\nspec: {}\n`;
        try {
            fs.writeFileSync(
                path.join(dir, "a.yaml"),
                `${crd("a.example.com")}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n`,
            );
            assert.throws(
                () => chartCrds(chart, root),
                /a\.yaml: holds a v1 ConfigMap; only apiextensions\.k8s\.io\/v1 CustomResourceDefinitions/,
            );
            fs.writeFileSync(path.join(dir, "a.yaml"), `${crd("a.example.com")}---\n${crd("a.example.com")}`);
            assert.throws(() => chartCrds({ ...chart, version: "1.0.0" }, root), /CRD a\.example\.com is defined twice/);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});

describe("CRDs are applied without their schemas' description texts", () => {
    it("drops every description keyword at every depth, keeps a property named description and everything else", () => {
        const schema = {
            type: "object",
            description: "top",
            properties: {
                description: { type: "string", description: "a field named description" },
                list: {
                    type: "array",
                    description: "l",
                    items: { type: "object", description: "i", properties: { a: { type: "integer", description: "a" } } },
                },
                either: { anyOf: [{ type: "integer", description: "n" }, { type: "string" }], "x-kubernetes-int-or-string": true },
                map: { type: "object", additionalProperties: { type: "string", description: "v" } },
                choice: { type: "string", enum: ["description", "="], default: "=" },
            },
            required: ["description"],
        };
        assert.deepEqual(withoutDescriptions(schema), {
            type: "object",
            properties: {
                description: { type: "string" },
                list: { type: "array", items: { type: "object", properties: { a: { type: "integer" } } } },
                either: { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true },
                map: { type: "object", additionalProperties: { type: "string" } },
                choice: { type: "string", enum: ["description", "="], default: "=" },
            },
            required: ["description"],
        });
    });

    it("the committed CRDs shrink to well under half, with the same fields: only description texts go", () => {
        const descriptions = (v: any): number =>
            Array.isArray(v)
                ? v.reduce((n, x) => n + descriptions(x), 0)
                : v && typeof v === "object"
                  ? Object.entries(v).reduce((n, [k, x]) => n + (k === "description" && typeof x === "string" ? 1 : 0) + descriptions(x), 0)
                  : 0;
        for (const chart of [KUBE_PROMETHEUS_STACK_CHART, ECK_OPERATOR_CHART]) {
            const crds = chartCrds(chart);
            const full = JSON.stringify(crds).length;
            const applied = crds.map(ownedCrd);
            assert.ok(JSON.stringify(applied).length < full / 2, `${chart.name}: ${JSON.stringify(applied).length} of ${full} bytes`);
            for (const [i, c] of applied.entries()) {
                const schemas = c.spec.versions.map((v: any) => v.schema.openAPIV3Schema);
                assert.equal(descriptions(schemas), 0, c.metadata.name);
                // Stripping is all it did: stripping the original again gives the same schemas.
                assert.deepEqual(
                    schemas,
                    crds[i].spec.versions.map((v: any) => withoutDescriptions(v.schema.openAPIV3Schema)),
                );
                assert.deepEqual(
                    c.spec.versions.map((v: any) => [v.name, v.served, v.storage]),
                    crds[i].spec.versions.map((v: any) => [v.name, v.served, v.storage]),
                );
            }
        }
    });
});

const OWNERS: Record<string, { release: string; chart: { name: string; version: string }; group: RegExp }> = {
    monitoring: { release: "monitoring-kube-prometheus-stack", chart: KUBE_PROMETHEUS_STACK_CHART, group: /\.monitoring\.coreos\.com$/ },
    logging: { release: "logging-eck-operator", chart: ECK_OPERATOR_CHART, group: /\.k8s\.elastic\.co$/ },
};

for (const stack of ["development", "staging", "production"] as const) {
    describe(`CRDs in stack ${stack}`, () => {
        let r: RenderResult;
        before(async () => {
            r = await renderStack(stack);
        });

        for (const [area, own] of Object.entries(OWNERS)) {
            it(`${area}: every CRD of ${own.chart.name} ${own.chart.version} is a resource, kept on delete and owned by this program (patchForce)`, () => {
                const crds = resources(r, CRD).filter((c) => c.name.startsWith(`${area}-crds-`));
                const want = chartCrds(own.chart);
                assert.deepEqual(
                    crds.map((c) => c.inputs.metadata.name).sort(),
                    want.map((c) => c.metadata.name),
                );
                for (const c of crds) {
                    assert.equal(c.options.retainOnDelete, true, `${c.name} is not retainOnDelete`);
                    assert.equal(c.options.protect, undefined);
                    assert.equal(c.inputs.metadata.annotations["pulumi.com/patchForce"], "true");
                    const source = want.find((w) => w.metadata.name === c.inputs.metadata.name)!;
                    assert.deepEqual(c.inputs.spec, ownedCrd(source).spec, `${c.name}: spec differs from the committed CRD`);
                    assert.equal(c.parent, `${area}-crds`);
                }
            });

            it(`${area}: the ${own.release} release waits for every one of its CRDs and installs none itself`, () => {
                const rel = resources(r, RELEASE).find((x) => x.name === own.release)!;
                const crdNames = resources(r, CRD)
                    .filter((c) => c.name.startsWith(`${area}-crds-`))
                    .map((c) => c.name);
                assert.ok(crdNames.length >= 10);
                for (const n of crdNames) assert.ok(rel.options.dependsOn?.includes(n), `${own.release} does not depend on ${n}`);
                assert.equal(rel.inputs.skipCrds, true);
                if (area === "monitoring") assert.deepEqual(rel.inputs.values.crds, { enabled: false });
                else assert.equal(rel.inputs.values.installCRDs, false);
            });
        }

        it("every custom resource the stack creates is served by a CRD of the stack, at a served version", () => {
            const crds = resources(r, CRD).map((c) => c.inputs);
            const custom = r.resources.filter((x) => /^kubernetes:[a-z0-9.-]+\.[a-z]+\/v[0-9a-z]+:/.test(x.type) && x.type !== CRD);
            const kinds = custom.filter((x) => !/^kubernetes:[a-z.]*k8s\.io\/|^kubernetes:helm\.sh\//.test(x.type));
            assert.ok(kinds.length >= 5, `only ${kinds.length} custom resources`);
            for (const x of kinds) {
                const [, gv, kind] = /^kubernetes:(.+):(.+)$/.exec(x.type)!;
                const [group, version] = gv.split("/");
                const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind);
                assert.ok(crd, `${x.type} ${x.name}: no CRD of group ${group} kind ${kind} in the stack`);
                assert.ok(
                    crd.spec.versions.some((v: any) => v.name === version && v.served),
                    `${x.type} ${x.name}: version ${version} not served`,
                );
                assert.ok(
                    (x.options.dependsOn ?? []).some((d) => d === OWNERS.monitoring.release || d === OWNERS.logging.release),
                    `${x.type} ${x.name} waits for no release that serves it`,
                );
            }
        });
    });
}

describe("CRDs in stack canary", () => {
    it("installs no CRD (production's stack owns them in the shared cluster)", async () => {
        const r = await renderStack("canary");
        assert.deepEqual(resources(r, CRD), []);
    });
});
