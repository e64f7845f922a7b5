// The logging part of the config module: the Elastic stack's per-environment sizes and every
// invalid value refused with the key, the value and what is allowed.
import * as assert from "assert";
import { buildConfig, ConfigError, StackConfig } from "../../config";
import { REQUIRED_CONFIG, mapSource } from "../lib/config-source";
import { ENVIRONMENTS } from "../../config/environments";
import { DEFAULT_STACK_VERSION } from "../../config/logging";

function build(environment: string, overrides: Record<string, string> = {}): StackConfig {
    return buildConfig(mapSource({ ...REQUIRED_CONFIG, environment, ...overrides }));
}

function rejects(environment: string, overrides: Record<string, string>, expected: RegExp): void {
    assert.throws(
        () => build(environment, overrides),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
            assert.match((err as Error).message, expected);
            return true;
        },
    );
}

describe("config: logging", () => {
    it("development / staging / production get their matrix row; canary installs no Elastic stack", () => {
        for (const env of ["development", "staging", "production"] as const) {
            const stack = build(env).logging.stack!;
            const row = ENVIRONMENTS[env].logging!;
            assert.deepStrictEqual(
                [
                    stack.elasticsearch.nodes,
                    stack.elasticsearch.storage,
                    stack.elasticsearch.memory,
                    stack.elasticsearch.heap,
                    stack.elasticsearch.zoneAwareness,
                    stack.kibanaCount,
                ],
                [
                    row.elasticsearchNodes,
                    row.elasticsearchStorage,
                    row.elasticsearchMemory,
                    row.elasticsearchHeap,
                    row.elasticsearchZoneAwareness,
                    row.kibanaCount,
                ],
                env,
            );
            assert.strictEqual(stack.version, DEFAULT_STACK_VERSION);
            assert.deepStrictEqual(stack.operatorChart, { name: "eck-operator", version: "3.5.0", repo: "https://helm.elastic.co" });
        }
        assert.deepStrictEqual(
            ["development", "staging", "production"].map((e) => build(e).logging.stack!.elasticsearch.nodes),
            [1, 2, 3],
            "Elasticsearch nodes: one small node / one or more / three",
        );
        const canary = build("canary").logging;
        assert.strictEqual(canary.stack, undefined);
        assert.strictEqual(canary.retentionDays, 30);
    });

    it("production's cluster also keeps the canary's stream, with the canary's retention (overridable)", () => {
        assert.deepStrictEqual(build("production").logging.stack!.streams, [
            { environment: "production", retentionDays: 90 },
            { environment: "canary", retentionDays: 30 },
        ]);
        assert.deepStrictEqual(build("production", { logRetentionDays: "120", canaryLogRetentionDays: "14" }).logging.stack!.streams, [
            { environment: "production", retentionDays: 120 },
            { environment: "canary", retentionDays: 14 },
        ]);
        assert.deepStrictEqual(build("staging").logging.stack!.streams, [{ environment: "staging", retentionDays: 60 }]);
    });

    it("takes overrides of sizes and version", () => {
        const stack = build("staging", {
            elasticsearchNodes: "3",
            elasticsearchStorage: "80Gi",
            elasticsearchStorageClass: "gp3",
            kibanaCount: "2",
            logStackVersion: "9.1.5",
        }).logging.stack!;
        assert.deepStrictEqual(
            [stack.elasticsearch.nodes, stack.elasticsearch.storage, stack.elasticsearch.storageClass, stack.kibanaCount, stack.version],
            [3, "80Gi", "gp3", 2, "9.1.5"],
        );
    });

    const bad: Array<[string, string, Record<string, string>, RegExp]> = [
        [
            "a heap above half the memory",
            "production",
            { elasticsearchHeap: "5g" },
            /elasticsearchHeap = "5g" is more than half of elasticsearchMemory = "8Gi".*at most 4Gi/,
        ],
        [
            "a heap above 31g",
            "production",
            { elasticsearchMemory: "80Gi", elasticsearchHeap: "32g" },
            /elasticsearchHeap = "32g" is above 31g/,
        ],
        ["a version range", "staging", { logStackVersion: "8.x" }, /logStackVersion = "8.x": an exact Elastic Stack version/],
        ["a version before 8.8", "staging", { logStackVersion: "8.7.1" }, /logStackVersion = "8.7.1": .*needs 8.8 or later/],
        ["zero nodes", "staging", { elasticsearchNodes: "0" }, /elasticsearchNodes = "0": a whole number from 1 to 9/],
        [
            "zone awareness on one node",
            "development",
            { elasticsearchZoneAwareness: "true" },
            /elasticsearchZoneAwareness = "true" needs elasticsearchNodes of at least 2 \(it is 1\)/,
        ],
        ["a tiny volume", "development", { elasticsearchStorage: "500Mi" }, /elasticsearchStorage = "500Mi": at least 1Gi/],
        ["a malformed memory", "development", { elasticsearchMemory: "2 GB" }, /elasticsearchMemory = "2 GB": a memory quantity/],
        ["no Kibana", "development", { kibanaCount: "0" }, /kibanaCount = "0": a whole number from 1 to 5/],
        ["a canary retention of 0 days", "production", { canaryLogRetentionDays: "0" }, /canaryLogRetentionDays = "0"/],
        // The ILM policy's retention is these keys' value: config/ is where a bad one is refused.
        ["zero retention", "staging", { logRetentionDays: "0" }, /logRetentionDays = "0": a whole number from 1 to 3650 \(days\)/],
        ["fractional retention", "staging", { logRetentionDays: "1.5" }, /logRetentionDays = "1.5": a whole number/],
    ];
    for (const [name, env, overrides, message] of bad) {
        it(`refuses ${name}, naming the key, the value and what is allowed`, () => rejects(env, overrides, message));
    }
});
