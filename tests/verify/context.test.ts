// Which objects of other stacks a stack is verified alongside (canary lives in production's namespace).
import { strict as assert } from "assert";
import { KubeObject, ref } from "../../tools/verify/manifest";
import { relatedObjects } from "../../tools/verify/verify";

const obj = (kind: string, name: string, namespace?: string): KubeObject => ({
    apiVersion: "v1",
    kind,
    metadata: { name, namespace },
});

describe("verify: cross-stack context", () => {
    const production = [
        obj("Namespace", "kline-analytics-production"),
        obj("NetworkPolicy", "kline-analytics-ingress", "kline-analytics-production"),
        obj("Deployment", "kline-analytics", "kline-analytics-production"),
        obj("Namespace", "logging"),
        obj("ConfigMap", "assets", "logging"),
    ];

    it("gives the canary production's namespace and the objects in it, nothing else", () => {
        const canary = [
            obj("Deployment", "kline-analytics-canary", "kline-analytics-production"),
            obj("Service", "kline-analytics-canary", "kline-analytics-production"),
        ];
        assert.deepEqual(relatedObjects(canary, production).map(ref), [
            "Namespace kline-analytics-production",
            "NetworkPolicy kline-analytics-production/kline-analytics-ingress",
            "Deployment kline-analytics-production/kline-analytics",
        ]);
    });

    it("gives a stack that declares all its namespaces no context at all", () => {
        const staging = [obj("Namespace", "logging"), obj("ConfigMap", "assets", "logging")];
        assert.deepEqual(relatedObjects(staging, production), []);
    });
});
