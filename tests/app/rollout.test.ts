// A rollout must be able to finish on a cluster with exactly as many nodes (and zones) as
// replicas: the strategy adds one pod before it removes one (maxUnavailable 0), so the surge pod
// has to schedule next to the old ones. Every required anti-affinity term and hard spread
// constraint must therefore count only pods of the same revision (pod-template-hash).
import { strict as assert } from "assert";
import { STACKS, object, renderStack } from "../harness";

const appName = (stack: string) => (stack === "canary" ? "kline-analytics-canary" : "kline-analytics");

describe("foundation: rollouts do not need a spare node", () => {
    for (const stack of STACKS) {
        it(`${stack}: scheduling constraints count only the new revision's pods while old ones still run`, async () => {
            const d = object(await renderStack(stack), "Deployment", appName(stack));
            assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0);
            const spec = d.spec.template.spec;
            const anti = spec.affinity?.podAntiAffinity ?? {};
            const terms = [
                ...(anti.requiredDuringSchedulingIgnoredDuringExecution ?? []),
                ...(anti.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p: any) => p.podAffinityTerm),
            ];
            const spreads = spec.topologySpreadConstraints ?? [];
            for (const c of [...terms, ...spreads]) {
                assert.deepEqual(c.matchLabelKeys, ["pod-template-hash"], JSON.stringify(c));
                // The API refuses a key that is both in matchLabelKeys and in the selector.
                assert.ok(!("pod-template-hash" in (c.labelSelector?.matchLabels ?? {})));
            }
            if (stack === "production") assert.equal(terms.length + spreads.length, 2, "required anti-affinity and zone spread");
        });
    }
});
