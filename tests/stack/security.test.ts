// Pod Security "restricted" for every pod template of every stack, and NetworkPolicies that
// cover every pod (ingress and egress) in every namespace this program deploys into.
import { strict as assert } from "assert";
import { restrictedViolations } from "../lib/pss";
import { STACKS, objects, podSpecs, renderStack } from "../harness";

function selects(selector: any, labels: Record<string, string>): boolean {
    if (!selector) return false;
    const match = Object.entries<string>(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const exprs = (selector.matchExpressions ?? []).every((e: any) => {
        const has = e.key in labels;
        switch (e.operator) {
            case "In":
                return has && e.values.includes(labels[e.key]);
            case "NotIn":
                return !has || !e.values.includes(labels[e.key]);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
        }
        return false;
    });
    return match && exprs;
}

describe("Pod Security Standards: restricted, field by field", () => {
    it("the checker itself flags each restricted violation", () => {
        const good = {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{ name: "c", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
        };
        assert.deepEqual(restrictedViolations(good), []);
        const bad = (patch: (s: any) => void) => {
            const s = JSON.parse(JSON.stringify(good));
            patch(s);
            return restrictedViolations(s);
        };
        assert.equal(bad((s) => (s.hostNetwork = true)).length, 1);
        assert.equal(bad((s) => (s.containers[0].securityContext.privileged = true)).length, 1);
        assert.equal(bad((s) => delete s.containers[0].securityContext.allowPrivilegeEscalation).length, 1);
        assert.equal(bad((s) => (s.securityContext.runAsNonRoot = false)).length, 1);
        assert.equal(bad((s) => delete s.securityContext.seccompProfile).length, 1);
        assert.equal(bad((s) => (s.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] })).length, 1);
        assert.equal(bad((s) => (s.volumes = [{ name: "h", hostPath: { path: "/" } }])).length, 1);
        assert.equal(bad((s) => (s.containers[0].ports = [{ containerPort: 80, hostPort: 80 }])).length, 1);
    });

    for (const stack of STACKS) {
        it(`${stack}: every pod template passes, and the app namespaces enforce restricted`, async () => {
            const r = await renderStack(stack);
            const pods = podSpecs(r.manifests);
            assert.ok(pods.length >= 1);
            for (const p of pods) {
                if (!p.namespace.startsWith("kline-analytics")) continue;
                assert.deepEqual(restrictedViolations(p.spec), [], `${stack} ${p.owner}`);
                for (const c of p.spec.containers) {
                    assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${p.owner}/${c.name} root filesystem`);
                    assert.ok(c.resources?.limits?.cpu && c.resources?.limits?.memory, `${p.owner}/${c.name} limits`);
                }
                assert.equal(p.spec.automountServiceAccountToken, false, `${p.owner} mounts an API token it does not need`);
            }
            for (const ns of objects(r, "Namespace").filter((n) => n.metadata.name.startsWith("kline-analytics"))) {
                for (const mode of ["enforce", "audit", "warn"])
                    assert.equal(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], "restricted");
                assert.match(ns.metadata.labels["pod-security.kubernetes.io/enforce-version"], /^v1\.\d+$/);
            }
        });
    }
});

describe("NetworkPolicies cover every pod", () => {
    it("each namespace denies by default and every pod has ingress and egress policies", async () => {
        const rendered = await Promise.all(STACKS.map((s) => renderStack(s)));
        // The canary's pods live in production's namespace and are covered by production's policies.
        const all = rendered.flatMap((r) => r.manifests);
        const policies = all.filter((m) => m.kind === "NetworkPolicy");
        const pods = podSpecs(all);
        assert.ok(pods.length >= 5);
        for (const pod of pods) {
            const inNs = policies.filter((p) => p.metadata.namespace === pod.namespace && selects(p.spec.podSelector, pod.labels));
            for (const type of ["Ingress", "Egress"]) {
                assert.ok(
                    inNs.some((p) => p.spec.policyTypes.includes(type)),
                    `${pod.namespace} ${pod.owner} has no ${type} policy`,
                );
            }
        }
        for (const ns of new Set(pods.map((p) => p.namespace))) {
            const deny = policies.find(
                (p) => p.metadata.namespace === ns && Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress,
            );
            assert.ok(deny && deny.spec.policyTypes.length === 2, `${ns} has no default-deny policy`);
        }
    });

    it("the app accepts traffic only from the ingress controller (http) and monitoring (metrics)", async () => {
        const r = await renderStack("production");
        const ingress = objects(r, "NetworkPolicy", "kline-analytics-ingress")[0].spec.ingress;
        assert.deepEqual(
            ingress.map((rule: any) => [rule.from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"], rule.ports[0].port]),
            [
                ["ingress-nginx", 8080],
                ["monitoring", 8081],
            ],
        );
        // PostgreSQL only: the app calls no HTTPS service unless appHttpsEgressCidrs names one.
        const egress = objects(r, "NetworkPolicy", "kline-analytics-egress")[0].spec.egress;
        assert.deepEqual(egress, [{ to: [{ ipBlock: { cidr: "10.30.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] }]);
    });

    it("appHttpsEgressCidrs opens HTTPS to exactly those blocks", async () => {
        const r = await renderStack("production", { overrides: { appHttpsEgressCidrs: "10.30.16.0/20,10.31.0.0/16" } });
        const egress = objects(r, "NetworkPolicy", "kline-analytics-egress")[0].spec.egress;
        assert.deepEqual(egress[1], {
            to: [{ ipBlock: { cidr: "10.30.16.0/20" } }, { ipBlock: { cidr: "10.31.0.0/16" } }],
            ports: [{ protocol: "TCP", port: 443 }],
        });
        assert.equal(egress.length, 2);
    });
});
