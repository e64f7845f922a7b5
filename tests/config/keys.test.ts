// The key declarations (config/keys.ts) are what the reader enforces: ranges, choices and fixed
// defaults come from them, and the per-environment defaults their descriptions quote come from the matrix.
import { strict as assert } from "assert";
import { ConfigError, StackConfig, buildConfig } from "../../config";
import { ENVIRONMENTS } from "../../config/environments";
import { CONFIG_KEYS } from "../../config/keys";
import { Reader } from "../../config/reader";
import { REQUIRED_CONFIG, mapSource } from "../lib/config-source";

function build(values: Record<string, string> = {}): StackConfig {
    return buildConfig(mapSource({ ...REQUIRED_CONFIG, environment: "production", ...values }));
}

function problems(values: Record<string, string>): string[] {
    try {
        build(values);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
        return err.problems;
    }
    return [];
}

describe("config: key declarations", () => {
    it("production builds with no more than the required keys (the base of the tests below)", () => {
        assert.equal(build().environment, "production");
    });

    for (const [key, spec] of Object.entries(CONFIG_KEYS).filter(([, s]) => s.range)) {
        it(`${key}: the reader takes its range ${spec.range!.min}-${spec.range!.max} from the declaration`, () => {
            const above = problems({ [key]: String(spec.range!.max + 1) });
            assert.equal(above.length, 1, above.join("\n"));
            assert.match(
                above[0],
                new RegExp(
                    `^kline-analytics:${key} = "${spec.range!.max + 1}": a whole number from ${spec.range!.min} to ${spec.range!.max}`,
                ),
            );
            assert.equal(problems({ [key]: String(spec.range!.min - 1) }).length, 1);
            // A value inside the range breaks no range rule (another rule may still refuse it, e.g. a replica count above the autoscaler's maximum).
            assert.ok(!problems({ [key]: String(spec.range!.max) }).some((p) => /a whole number from/.test(p)));
        });
    }

    for (const [key, spec] of Object.entries(CONFIG_KEYS).filter(([k, s]) => s.choices && k !== "environment")) {
        it(`${key}: the reader allows exactly the declared choices (${spec.choices!.join(", ")})`, () => {
            assert.deepEqual(problems({ [key]: "bogus" }), [
                `kline-analytics:${key} = "bogus": allowed values are ${spec.choices!.join(", ")}`,
            ]);
        });
    }

    it("fixed defaults come from the declaration", () => {
        const cfg = build();
        assert.equal(cfg.database.port, CONFIG_KEYS.dbPort.default);
        assert.equal(cfg.app.hpa.targetCpuUtilization, CONFIG_KEYS.hpaTargetCpuUtilization.default);
        assert.equal(cfg.app.ingress.className, CONFIG_KEYS.ingressClassName.default);
        assert.equal(cfg.backup.timeZone, CONFIG_KEYS.backupTimeZone.default);
        assert.equal(cfg.backup.image, CONFIG_KEYS.backupImage.default);
        assert.equal(cfg.monitoring.runbookBaseUrl, CONFIG_KEYS.runbookBaseUrl.default);
        assert.equal(cfg.network.apiServerPort, CONFIG_KEYS.apiServerPort.default);
        assert.equal(cfg.monitoring.install!.slackChannel, CONFIG_KEYS.slackChannel.default);
    });

    it("the per-environment defaults in descriptions are the matrix's values", () => {
        const rows = Object.values(ENVIRONMENTS);
        assert.ok(CONFIG_KEYS.replicas.description.includes(`Default ${rows.map((e) => e.app.replicas).join(" / ")} (`));
        assert.ok(CONFIG_KEYS.javaHeap.description.includes(`Default ${rows.map((e) => e.app.javaHeap).join(" / ")}.`));
        const withBackups = rows.filter((e) => e.backup !== undefined);
        assert.ok(CONFIG_KEYS.backupSchedule.description.endsWith(`Default ${withBackups.map((e) => e.backup!.schedule).join(" / ")}.`));
        const withMonitoring = rows.filter((e) => e.monitoring !== undefined);
        assert.ok(
            CONFIG_KEYS.alertmanagerReplicas.description.endsWith(
                `Default ${withMonitoring.map((e) => e.monitoring!.alertmanagerReplicas).join(" / ")}.`,
            ),
        );
        assert.match(CONFIG_KEYS.zoneSpread.description, /Default true in production only\.$/);
    });

    it("secrets are declared secret, and reading an undeclared key is an error", () => {
        assert.deepEqual(
            Object.keys(CONFIG_KEYS).filter((k) => CONFIG_KEYS[k].secret),
            ["dbPassword", "backupDbPassword", "restoreDbPassword", "pagerdutyRoutingKey", "slackWebhookUrl", "heartbeatUrl"],
        );
        const r = new Reader(mapSource({ ...REQUIRED_CONFIG, environment: "production" }));
        assert.throws(() => r.raw("replicaCount"), /config key replicaCount is read but not declared in config\/keys.ts/);
        assert.throws(() => r.secret("replicas"), /config key replicas is read as a secret but not declared secret/);
        assert.equal(r.raw("replicas"), undefined);
    });
});
