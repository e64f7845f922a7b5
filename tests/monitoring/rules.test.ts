// The rule groups as data: the alert catalogue the observability contract asks for, the metric
// names they read, the runbook links, and the parameter checks. promtool.integration.test.ts proves behaviour.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { APP_METRICS, appMetricOf, knownRawMetricNames } from "../../components/monitoring/metrics";
import { ruleParamsFor } from "../../components/monitoring/params";
import { ENVIRONMENTS } from "../../config/environments";
import { allAlerts, buildRuleGroups, isAlert, RecordingRule, RuleGroup, RuleParams } from "../../components/monitoring/rules";
import { CANARY, ruleTarget, STABLE } from "./deployment";
import { parsePromQL } from "./promql";

const stableGroups = buildRuleGroups(ruleParamsFor(ruleTarget(STABLE)));
const canaryGroups = buildRuleGroups(ruleParamsFor(ruleTarget(CANARY)));
const docs = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "monitoring.md"), "utf8");

function recordedNames(groups: RuleGroup[]): Set<string> {
    return new Set(groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => !isAlert(r)).map((r) => r.record)));
}

/** GitHub's heading anchors: lower case, spaces to '-', punctuation dropped. */
function headingAnchors(markdown: string): Set<string> {
    const anchors = new Set<string>();
    for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
        anchors.add(
            m[1]
                .trim()
                .toLowerCase()
                .replace(/[^\w\- ]/g, "")
                .replace(/ /g, "-"),
        );
    }
    return anchors;
}

describe("monitoring: rule groups as data", function () {
    const stableAlerts = allAlerts(stableGroups);
    const canaryAlerts = allAlerts(canaryGroups);

    it("production has at least 20 alerts across critical, warning and info, each with summary, description and runbook_url", function () {
        assert.ok(stableAlerts.length >= 20, `only ${stableAlerts.length} alerts`);
        const bySeverity = new Map<string, number>();
        for (const a of stableAlerts) {
            bySeverity.set(a.labels.severity, (bySeverity.get(a.labels.severity) ?? 0) + 1);
            for (const key of ["summary", "description", "runbook_url"] as const) {
                assert.ok(a.annotations[key] && a.annotations[key].length > 10, `${a.alert}: annotation ${key} is missing or too short`);
            }
            assert.equal(a.labels.environment, "production", a.alert);
        }
        assert.deepEqual([...bySeverity.keys()].sort(), ["critical", "info", "warning"]);
        console.log(
            `      production alerts by severity: ${[...bySeverity].map(([s, n]) => `${s} ${n}`).join(", ")}; canary alerts: ${canaryAlerts.length}`,
        );
    });

    it("contains the eight core alerts, with their severities", function () {
        const severityOf = (name: string) => [...new Set(stableAlerts.filter((a) => a.alert === name).map((a) => a.labels.severity))];
        assert.deepEqual(severityOf("KlineAnalyticsDown"), ["critical"]);
        for (const name of [
            "KlineAnalyticsHighErrorRate",
            "KlineAnalyticsHighResponseTime",
            "KlineAnalyticsHighMemoryUsage",
            "KlineAnalyticsHighCPUUsage",
            "KlineAnalyticsHighGCPause",
            "KlineAnalyticsLowSignalGeneration",
            "KlineAnalyticsHighOrderProcessingTime",
        ]) {
            assert.deepEqual(severityOf(name), ["warning"], name);
        }
    });

    it("has multiwindow burn-rate alerts on availability and latency with the SRE-workbook windows and factors", function () {
        for (const name of ["KlineAnalyticsAvailabilityBudgetBurn", "KlineAnalyticsLatencyBudgetBurn"]) {
            const rules = stableAlerts.filter((a) => a.alert === name);
            const windows = rules.map((r) => `${r.labels.long_window}/${r.labels.short_window}:${r.labels.severity}`);
            assert.deepEqual(windows, ["1h/5m:critical", "6h/30m:critical", "1d/2h:warning", "3d/6h:warning"], name);
            const factors = rules.map((r) => /> \(([\d.]+) \*/.exec(r.expr)?.[1]);
            assert.deepEqual(factors, ["14.4", "6", "3", "1"], name);
            for (const r of rules) {
                assert.match(
                    r.expr,
                    new RegExp(`rate${r.labels.long_window}\\{[^}]*\\} > \\(`),
                    `${name} ${r.labels.long_window}: long window`,
                );
                assert.match(
                    r.expr,
                    new RegExp(`rate${r.labels.short_window}\\{[^}]*\\} > \\(`),
                    `${name} ${r.labels.short_window}: short window`,
                );
            }
        }
        assert.match(stableAlerts.find((a) => a.alert === "KlineAnalyticsAvailabilityBudgetBurn")!.expr, /\(14\.4 \* 0\.001\)/);
        assert.match(stableAlerts.find((a) => a.alert === "KlineAnalyticsLatencyBudgetBurn")!.expr, /\(14\.4 \* 0\.01\)/);
    });

    it("reads each of the ten application metrics, and only known exporter metrics or its own recorded series", function () {
        const known = knownRawMetricNames();
        const recorded = recordedNames(stableGroups);
        const used = new Set<string>();
        for (const g of [...stableGroups, ...canaryGroups]) {
            for (const r of g.rules) {
                const parsed = parsePromQL(r.expr);
                assert.deepEqual(parsed.errors, [], `${g.name}: ${r.expr}`);
                for (const m of parsed.metrics) {
                    assert.ok(known.has(m) || recorded.has(m), `${g.name}: unknown metric '${m}' in ${r.expr}`);
                    const app = appMetricOf(m);
                    if (app) used.add(app);
                }
            }
        }
        assert.deepEqual([...used].sort(), [...APP_METRICS].sort());
    });

    it("watches its own alerting pipeline: our rule groups' evaluation in Prometheus, Alertmanager's deliveries per integration", function () {
        const pipeline = stableGroups.find((g) => g.name === "kline-analytics.stable.pipeline")!;
        const alerts = allAlerts([pipeline]);
        assert.deepEqual(
            alerts.map((a) => `${a.alert}:${a.labels.severity}:${a.for}`),
            [
                "KlineAnalyticsRuleEvaluationFailures:warning:10m",
                "KlineAnalyticsRuleGroupIterationsMissed:warning:15m",
                "KlineAnalyticsNotificationsFailing:critical:10m",
            ],
        );
        for (const a of alerts)
            assert.match(a.expr, /\{namespace="monitoring", job="kube-prometheus-stack-(prometheus|alertmanager)"/, a.alert);
        // Only the groups of this module (all named kline-analytics.*), stable and canary alike.
        const groupRegex = new RegExp(`^${/rule_group=~"([^"]+)"/.exec(alerts[0].expr)![1]}$`);
        for (const g of [...stableGroups, ...canaryGroups])
            assert.ok(groupRegex.test(`/etc/prometheus/rules/x/ns-name-uid.yaml;${g.name}`), g.name);
        assert.ok(!groupRegex.test("/etc/prometheus/rules/x/monitoring-kube-prometheus-stack-kubernetes-apps-uid.yaml;kubernetes-apps"));
        assert.match(alerts[2].expr, /sum by \(namespace, job, integration\)/);
    });

    it("keeps expensive expressions in recording rules: alerts use no quantile and no raw window over 1h", function () {
        for (const a of [...stableAlerts, ...canaryAlerts]) {
            assert.doesNotMatch(a.expr, /histogram_quantile/, a.alert);
            for (const m of a.expr.matchAll(/\[(\d+)([smhdw])\]/g)) {
                const minutes = Number(m[1]) * { s: 1 / 60, m: 1, h: 60, d: 1440, w: 10080 }[m[2] as "s"];
                assert.ok(minutes <= 60, `${a.alert} reads a raw ${m[0]} window`);
            }
        }
        const recorded = recordedNames(stableGroups);
        for (const w of ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]) {
            assert.ok(recorded.has(`namespace_job_track:kline_analytics_http_requests_errors:ratio_rate${w}`), w);
            assert.ok(recorded.has(`namespace_job_track:kline_analytics_http_requests_slow:ratio_rate${w}`), w);
        }
    });

    it("links every alert to its runbook section in docs/monitoring.md", function () {
        const anchors = headingAnchors(docs);
        for (const a of [...stableAlerts, ...canaryAlerts]) {
            const [base, anchor] = a.annotations.runbook_url.split("#");
            assert.equal(base, "https://runbooks.kline.test/docs/monitoring.md");
            assert.ok(anchors.has(anchor), `docs/monitoring.md has no section '#${anchor}' for ${a.alert}`);
        }
    });

    it("canary rules: alerts only (recording rules come with production), all labelled track=canary, none for backups, the probe or the pipeline", function () {
        assert.equal(recordedNames(canaryGroups).size, 0);
        assert.ok(canaryAlerts.every((a) => a.labels.track === "canary" && a.labels.environment === "canary"));
        const names = new Set(canaryAlerts.map((a) => a.alert));
        for (const n of [
            "KlineAnalyticsBackupTooOld",
            "KlineAnalyticsBackupNotScheduled",
            "KlineAnalyticsBackupScheduleMissed",
            "KlineAnalyticsBackupSuspended",
            "KlineAnalyticsNotificationsFailing",
            "KlineAnalyticsRuleEvaluationFailures",
            "KlineAnalyticsProbeFailed",
            "KlineAnalyticsMaintenanceMode",
            "KlineAnalyticsAvailabilityBudgetBurn",
        ]) {
            assert.ok(!names.has(n), `canary must not carry ${n}`);
        }
        // The pods each track's kube-state-metrics/cAdvisor alerts select by name.
        const podRegex = (groups: RuleGroup[]) =>
            new RegExp(`^${/pod=~"([^"]+)"/.exec(allAlerts(groups).find((a) => a.alert === "KlineAnalyticsHighCPUUsage")!.expr)![1]}$`);
        assert.ok(podRegex(stableGroups).test(STABLE.pods[0]) && !podRegex(stableGroups).test(CANARY.pods[0]));
        assert.ok(podRegex(canaryGroups).test(CANARY.pods[0]) && !podRegex(canaryGroups).test(STABLE.pods[0]));
    });

    it("follows its parameters: namespace, per-environment thresholds, optional backup, probe and pipeline alerts, maintenance switch", function () {
        const dev = ruleParamsFor({
            ...ruleTarget(STABLE),
            environment: "development",
            namespace: "kline-analytics-development",
            backups: false,
            probe: false,
            thresholds: ENVIRONMENTS.development.alerts,
        });
        const devAlerts = allAlerts(buildRuleGroups(dev));
        assert.ok(devAlerts.every((a) => !a.expr.includes("kline-analytics-production")));
        assert.match(devAlerts.find((a) => a.alert === "KlineAnalyticsLowSignalGeneration")!.expr, /< 0\.01$/);
        assert.match(devAlerts.find((a) => a.alert === "KlineAnalyticsHighResponseTime")!.expr, /> 2$/);
        assert.ok(!devAlerts.some((a) => a.alert.startsWith("KlineAnalyticsBackup") || a.alert.startsWith("KlineAnalyticsProbe")));
        assert.ok(
            devAlerts.some((a) => a.alert === "KlineAnalyticsNotificationsFailing"),
            "development installs its own monitoring",
        );
        const unmonitored = allAlerts(buildRuleGroups(ruleParamsFor({ ...ruleTarget(STABLE), monitoringNamespace: undefined })));
        assert.ok(!unmonitored.some((a) => a.expr.includes("kube-prometheus-stack")), "no pipeline alerts without a monitoring namespace");
        assert.match(stableAlerts.find((a) => a.alert === "KlineAnalyticsLowSignalGeneration")!.expr, /< 1$/);
        const on = allAlerts(buildRuleGroups({ ...dev, maintenanceMode: true })).find((a) => a.alert === "KlineAnalyticsMaintenanceMode")!;
        assert.equal(on.expr, "vector(1) > 0");
        assert.equal(devAlerts.find((a) => a.alert === "KlineAnalyticsMaintenanceMode")!.expr, "vector(0) > 0");
        const custom = ruleParamsFor({ ...ruleTarget(STABLE), thresholds: { ...ruleTarget(STABLE).thresholds, errorRatio: 0.02 } });
        assert.match(allAlerts(buildRuleGroups(custom)).find((a) => a.alert === "KlineAnalyticsHighErrorRate")!.expr, /> 0\.02$/);
    });

    it("rejects bad parameters with a message naming the value and the fix", function () {
        const base: RuleParams = ruleParamsFor(ruleTarget(STABLE));
        assert.throws(
            () => buildRuleGroups({ ...base, runbookBaseUrl: "docs/monitoring.md" }),
            /runbookBaseUrl 'docs\/monitoring.md' must be an http\(s\) URL/,
        );
        assert.throws(() => buildRuleGroups({ ...base, runbookBaseUrl: "https://x/docs.md#top" }), /must not contain '#'/);
        assert.throws(() => buildRuleGroups({ ...base, namespace: "Kline_Prod" }), /namespace 'Kline_Prod' is not a Kubernetes name/);
        assert.throws(
            () => buildRuleGroups({ ...base, slo: { ...base.slo, availability: 99.9 } }),
            /slo.availability is 99.9; it must be between 0 and 1/,
        );
        assert.throws(
            () => buildRuleGroups({ ...base, thresholds: { ...base.thresholds, errorRatio: -1 } }),
            /thresholds.errorRatio is -1/,
        );
        assert.throws(
            () => buildRuleGroups({ ...base, thresholds: { ...base.thresholds, certCriticalDays: 20 } }),
            /certCriticalDays \(20\) must be below certWarningDays \(14\)/,
        );
    });
});
