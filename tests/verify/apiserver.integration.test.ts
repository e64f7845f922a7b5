// Server-side dry-run on a real kube-apiserver v1.36.3 + etcd (started once for this suite on
// loopback, stopped in after()): strict field validation and Pod Security admission.
import { strict as assert } from "assert";
import { LocalCluster } from "../../tools/verify/cluster";
import { DryRunReport, dryRunAll, dryRunPassed } from "../../tools/verify/dryrun";
import { KubeObject } from "../../tools/verify/manifest";
import { SchemaValidator } from "../../tools/verify/schema";
import { broken, good } from "./fixtures";

describe("verify: server-side dry-run on kube-apiserver", function () {
    this.timeout(120_000);
    let cluster: LocalCluster | undefined;
    let schema: SchemaValidator;
    const dryRun = (objects: KubeObject[]): Promise<DryRunReport> =>
        dryRunAll(cluster!.client, cluster!.version, objects, (o) => schema.crdFor(o.apiVersion, o.kind));

    before(async () => {
        schema = SchemaValidator.shared();
        cluster = await LocalCluster.start();
    });
    after(async () => {
        await cluster?.stop();
    });

    it("runs the pinned release, version stamped at build time (not v0.0.0)", () => {
        assert.equal(cluster!.version, "v1.36.3");
    });

    it("accepts every object of the good sample, CRs included, and admits its pods under restricted", async () => {
        const report = await dryRun(good());
        assert.deepEqual(report.rejected, []);
        assert.equal(report.accepted.length, report.total);
        assert.deepEqual(
            report.podSecurity.map((p) => [p.object, p.level, p.passed]),
            [["Deployment kline-verify-good/kline-analytics", "restricted", true]],
        );
        assert.ok(
            report.notes.some((n) => n.startsWith("installed CRD servicemonitors.monitoring.coreos.com")),
            report.notes.join("\n"),
        );
        assert.ok(dryRunPassed(report));
    });

    it("rejects the broken objects: unknown fields (built-in and CR), wrong type, privileged pod", async () => {
        const report = await dryRun(broken());
        const rejected = Object.fromEntries(report.rejected.map((r) => [r.object, r.reason]));
        assert.deepEqual(Object.keys(rejected).sort(), [
            "Deployment kline-verify-broken/unknown-field",
            "Deployment kline-verify-broken/wrong-type",
            "ServiceMonitor kline-verify-broken/unknown-field",
        ]);
        assert.match(
            rejected["Deployment kline-verify-broken/unknown-field"],
            /unknown field "spec\.template\.spec\.containers\[0\]\.cpuLimit"/,
        );
        assert.match(rejected["Deployment kline-verify-broken/wrong-type"], /spec\.replicas of type int32/);
        assert.match(rejected["ServiceMonitor kline-verify-broken/unknown-field"], /unknown field "spec\.endpoints\[0\]\.scrapeEvery"/);

        const pss = Object.fromEntries(report.podSecurity.map((p) => [p.object, p]));
        assert.equal(pss["Deployment kline-verify-broken/privileged"].passed, false);
        assert.match(pss["Deployment kline-verify-broken/privileged"].detail!, /violates PodSecurity "restricted:latest": privileged/);
        // Limits are kube-score's and trivy's business; Pod Security has no opinion on them.
        assert.equal(pss["Deployment kline-verify-broken/no-limits"].passed, true);
        assert.equal(dryRunPassed(report), false);
    });

    it("flags a declared-twice object, which a dry-run alone would accept", async () => {
        const ns = good().filter((o) => o.kind === "Namespace" || o.kind === "ServiceAccount");
        const report = await dryRun([...ns, ns[1]]);
        assert.deepEqual(
            report.rejected.map((r) => r.object),
            ["ServiceAccount kline-verify-good/kline-analytics"],
        );
    });

    it("applies the CRDs a manifest declares (server-side, strict) and checks its custom resources against them, not the pinned ones", async () => {
        const crd = (props: Record<string, unknown>): KubeObject => ({
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "widgets.verify.example.com" },
            spec: {
                group: "verify.example.com",
                names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
                scope: "Namespaced",
                versions: [
                    {
                        name: "v1",
                        served: true,
                        storage: true,
                        schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: props } } } },
                    },
                ],
            },
        });
        const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "kline-verify-crd" } };
        const widget = (spec: Record<string, unknown>): KubeObject => ({
            apiVersion: "verify.example.com/v1",
            kind: "Widget",
            metadata: { name: "w", namespace: "kline-verify-crd" },
            spec,
        });
        const ok = await dryRun([crd({ size: { type: "integer" } }), ns, widget({ size: 3 })]);
        assert.deepEqual(ok.rejected, []);
        assert.deepEqual(ok.accepted.sort(), [
            "CustomResourceDefinition widgets.verify.example.com",
            "Namespace kline-verify-crd",
            "Widget kline-verify-crd/w",
        ]);
        // The same CRD, upgraded in the manifest: the field it adds is accepted, the old one refused.
        const upgraded = await dryRun([crd({ colour: { type: "string" } }), ns, widget({ colour: "red" })]);
        assert.deepEqual(upgraded.rejected, []);
        const stale = await dryRun([crd({ colour: { type: "string" } }), ns, widget({ size: 3 })]);
        assert.deepEqual(
            stale.rejected.map((r) => r.object),
            ["Widget kline-verify-crd/w"],
        );
        assert.match(stale.rejected[0].reason, /unknown field "spec.size"/);
        // A CRD the API server refuses is a rejected object, not a crash.
        const bad = await dryRun([{ ...crd({}), spec: { ...(crd({}).spec as any), scope: "Galactic" } }]);
        assert.deepEqual(
            bad.rejected.map((r) => r.object),
            ["CustomResourceDefinition widgets.verify.example.com"],
        );
    });
});
