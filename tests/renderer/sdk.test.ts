// The renderer reads the Pulumi SDK's runtime internals (renderer/sdk.ts). These tests fail, naming
// the piece, when an SDK update renames or reshapes one, instead of synth silently rendering
// unmasked secrets or missing options.
import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_PLACEHOLDER, engineUrns, installMocks, loadStackConfig, scrub } from "../../renderer";
import { RESOURCE_SIGNATURE, SECRET_SIGNATURE, SIGNATURE_KEY, resourceMonitor, waitForRegistrations } from "../../renderer/sdk";

describe("renderer: the Pulumi SDK internals it relies on", () => {
    it("the SDK still exports the markers of serialised secrets and resource references", () => {
        for (const [name, value] of Object.entries({ SIGNATURE_KEY, SECRET_SIGNATURE, RESOURCE_SIGNATURE })) {
            assert.match(String(value), /^[0-9a-f]{32}$/, `runtime/rpc no longer exports the marker behind ${name} (got ${value})`);
        }
        assert.equal(new Set([SIGNATURE_KEY, SECRET_SIGNATURE, RESOURCE_SIGNATURE]).size, 3);
    });

    it("records a registration's type, name, parent, options and inputs through the monitor, secrets still marked", async () => {
        const { requests } = installMocks("development", loadStackConfig("development"));
        assert.equal(typeof resourceMonitor().newUrn, "function", "the mock monitor no longer has newUrn");
        const first = new k8s.core.v1.ConfigMap("sdk-probe-first", { metadata: { name: "sdk-probe-first" }, data: { a: "1" } });
        new k8s.core.v1.ConfigMap(
            "sdk-probe",
            { metadata: { name: "sdk-probe" }, data: { plain: "visible", token: pulumi.secret("sdk-probe-secret-value") } },
            { protect: true, retainOnDelete: true, ignoreChanges: ["data"], dependsOn: [first] },
        );
        await waitForRegistrations();

        const probe = requests.find((r) => r.name === "sdk-probe");
        assert.ok(probe, "the monitor's registerResource hook saw no registration");
        assert.equal(probe.type, "kubernetes:core/v1:ConfigMap");
        assert.equal(probe.parent, requests.find((r) => r.name === "sdk-probe-first")!.parent);
        assert.match(probe.urn, /::kubernetes:core\/v1:ConfigMap::sdk-probe$/);
        assert.deepEqual(probe.options.protect, true);
        assert.deepEqual(probe.options.retainOnDelete, true);
        assert.deepEqual(probe.options.ignoreChanges, ["data"]);
        assert.deepEqual(probe.options.dependsOn, [requests.find((r) => r.name === "sdk-probe-first")!.urn]);
        // A secret inside an object input makes the whole object secret on the wire.
        assert.deepEqual(probe.inputs.data, {
            [SIGNATURE_KEY]: SECRET_SIGNATURE,
            value: { plain: "visible", token: "sdk-probe-secret-value" },
        });
        assert.deepEqual(probe.inputs.metadata, { name: "sdk-probe" });

        const scrubbed = scrub(probe.inputs);
        assert.deepEqual(scrubbed.data, { plain: SECRET_PLACEHOLDER, token: SECRET_PLACEHOLDER });
        assert.deepEqual(scrubbed.metadata, { name: "sdk-probe" });
        assert.ok(!JSON.stringify(scrubbed).includes("sdk-probe-secret-value"));
    });

    it("hands aliases to the monitor as specs, which the renderer turns into the engine's URNs", async () => {
        const { requests } = installMocks("development", loadStackConfig("development"));
        class Probe extends pulumi.ComponentResource {
            constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
                super("kline:test:Probe", name, {}, opts);
                this.registerOutputs();
            }
        }
        const outer = new Probe("sdk-alias-outer");
        const inner = new Probe("sdk-alias-inner", { parent: outer, aliases: [{ parent: pulumi.rootStackResource }] });
        new k8s.core.v1.ConfigMap(
            "sdk-alias-child",
            { metadata: { name: "sdk-alias-child" } },
            { parent: inner, aliases: [{ name: "sdk-alias-old" }] },
        );
        await waitForRegistrations();
        const mine = requests.filter((r) => r.name.startsWith("sdk-alias-"));
        assert.deepEqual(
            mine.map((r) => [r.name, r.aliases]),
            [
                ["sdk-alias-outer", []],
                ["sdk-alias-inner", [{ parent: null }]],
                ["sdk-alias-child", [{ name: "sdk-alias-old" }]],
            ],
        );
        const u = "urn:pulumi:development::kline-analytics::";
        const cm = "kubernetes:core/v1:ConfigMap";
        // The engine's URN keeps every parent type (the mock monitor's keeps only the last one).
        const urns = engineUrns("development", "kline-analytics", mine);
        assert.deepEqual(Object.fromEntries(urns.map((x) => [x.urn, x.aliases])), {
            [`${u}kline:test:Probe::sdk-alias-outer`]: [],
            // The inner component moved under outer; its alias names its old, top-level URN.
            [`${u}kline:test:Probe$kline:test:Probe::sdk-alias-inner`]: [`${u}kline:test:Probe::sdk-alias-inner`],
            // The child inherits its parent's alias (as the engine does) and combines it with its own.
            [`${u}kline:test:Probe$kline:test:Probe$${cm}::sdk-alias-child`]: [
                `${u}kline:test:Probe$kline:test:Probe$${cm}::sdk-alias-old`,
                `${u}kline:test:Probe$${cm}::sdk-alias-child`,
                `${u}kline:test:Probe$${cm}::sdk-alias-old`,
            ],
        });
    });
});
