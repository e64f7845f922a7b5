// The metric contract (components/monitoring/metrics.ts METRIC_CONTRACT, documented in
// docs/monitoring.md): Micrometer's Prometheus naming of each meter gives exactly the
// contract's name; alerts, recording rules and dashboard panels select and group the app's metrics only by
// labels the contract gives them, read `_bucket` only of histogram timers and only at bounds the
// contract's buckets (and so the platform's Spring configuration) create; the docs say the same.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { applicationSettings } from "../../components/app/appconfig";
import { dashboardQueries, buildDashboard } from "../../components/monitoring/dashboard";
import {
    APP_METRICS,
    appMetricOf,
    COMMON_TAGS,
    knownRawMetricNames,
    METRIC_CONTRACT,
    MetricContract,
    prometheusName,
    sloProperty,
    TARGET_LABELS,
} from "../../components/monitoring/metrics";
import { dashboardParams, ruleParamsFor } from "../../components/monitoring/params";
import { buildRuleGroups, leLabel } from "../../components/monitoring/rules";
import { ENVIRONMENTS } from "../../config/environments";
import { CANARY, ruleTarget, STABLE } from "./deployment";
import { groupingsOf, selectorsOf } from "./promql";

const docs = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "monitoring.md"), "utf8");
const contractOf = (metric: string): MetricContract | undefined => {
    const name = appMetricOf(metric);
    return METRIC_CONTRACT.find((c) => c.name === name);
};

/** Labels an expression may use on a series of this contract metric. */
function allowedLabels(series: string, c: MetricContract): Set<string> {
    const allowed = new Set<string>([...TARGET_LABELS, ...COMMON_TAGS, ...c.labels]);
    if (series.endsWith("_bucket")) allowed.add("le");
    return allowed;
}

/** What an expression does with the app's metrics that the contract does not allow. */
function contractViolations(expr: string): string[] {
    const problems: string[] = [];
    for (const s of selectorsOf(expr)) {
        const c = contractOf(s.metric);
        if (!c) continue;
        const allowed = allowedLabels(s.metric, c);
        for (const m of s.matchers) {
            if (!allowed.has(m.label)) problems.push(`${s.metric} selected by '${m.label}', which the contract does not give it`);
            if (m.label === "le" && !c.buckets!.map(leLabel).includes(m.value)) {
                problems.push(`${s.metric} read at le="${m.value}", not one of the contract's buckets ${c.buckets!.join(", ")}`);
            }
        }
    }
    for (const g of groupingsOf(expr)) {
        const app = g.metrics.filter((m) => contractOf(m));
        if (app.length === 0 || app.length !== g.metrics.length) continue; // recorded or exporter series: their own labels
        for (const label of g.labels) {
            for (const m of app) {
                if (!allowedLabels(m, contractOf(m)!).has(label))
                    problems.push(`${m} grouped by '${label}', which the contract does not give it`);
            }
        }
    }
    return problems;
}

function everyExpression(): { where: string; expr: string }[] {
    const out: { where: string; expr: string }[] = [];
    for (const target of [STABLE, CANARY]) {
        for (const g of buildRuleGroups(ruleParamsFor(ruleTarget(target)))) {
            for (const r of g.rules) out.push({ where: `${g.name}: ${"alert" in r ? r.alert : r.record}`, expr: r.expr });
        }
    }
    for (const q of dashboardQueries(buildDashboard(dashboardParams()))) {
        const expr = q.expr.replaceAll("$__rate_interval", "1m").replaceAll("$namespace", "ns").replaceAll("$track", "stable");
        out.push({ where: `dashboard ${q.where}`, expr });
    }
    return out;
}

describe("monitoring: the metric contract", function () {
    it("covers the ten application metrics, and Micrometer's Prometheus naming of each meter gives exactly that name", function () {
        assert.deepEqual(
            METRIC_CONTRACT.map((c) => c.name),
            [...APP_METRICS],
        );
        for (const c of METRIC_CONTRACT) assert.equal(prometheusName(c), c.name, c.meter);
        // the naming function is Micrometer's: the stock meters get the names stock dashboards query
        assert.equal(prometheusName({ meter: "http.server.requests", kind: "Timer", baseUnit: "seconds" }), "http_server_requests_seconds");
        assert.equal(prometheusName({ meter: "jvm.memory.used", kind: "Gauge", baseUnit: "bytes" }), "jvm_memory_used_bytes");
        assert.equal(prometheusName({ meter: "jvm.gc.pause", kind: "Timer", baseUnit: "seconds" }), "jvm_gc_pause_seconds");
        // the JVM metrics are Micrometer's own binders again, under the prefix (docs/monitoring.md)
        for (const c of METRIC_CONTRACT.filter((m) => m.standard?.startsWith("jvm.")))
            assert.equal(c.meter, `kline.analytics.${c.standard}`);
    });

    it("alerts, recording rules and dashboard panels select and group the app's metrics only by the contract's labels and buckets", function () {
        const found = everyExpression().flatMap((e) => contractViolations(e.expr).map((p) => `${e.where}: ${p}`));
        assert.deepEqual(found, []);
        const readApp = new Set(
            everyExpression().flatMap((e) =>
                selectorsOf(e.expr)
                    .map((s) => appMetricOf(s.metric))
                    .filter(Boolean),
            ),
        );
        assert.deepEqual([...readApp].sort(), [...APP_METRICS].sort(), "every contract metric is read");
    });

    it("the check catches a selection or grouping by a label the contract does not give, and a bucket it does not make", function () {
        assert.deepEqual(contractViolations('rate(kline_analytics_http_requests_total{path="/api"}[5m])'), [
            "kline_analytics_http_requests_total selected by 'path', which the contract does not give it",
        ]);
        assert.deepEqual(contractViolations("sum by (strategy) (rate(kline_analytics_signals_generated_total[5m]))"), [
            "kline_analytics_signals_generated_total grouped by 'strategy', which the contract does not give it",
        ]);
        assert.deepEqual(contractViolations('rate(kline_analytics_http_requests_duration_seconds_bucket{le="0.3"}[5m])'), [
            'kline_analytics_http_requests_duration_seconds_bucket read at le="0.3", not one of the contract\'s buckets 0.1, 0.25, 0.5, 1, 2',
        ]);
        assert.deepEqual(
            contractViolations('sum by (namespace, uri, le) (rate(kline_analytics_http_requests_duration_seconds_bucket{le="0.5"}[5m]))'),
            [],
        );
    });

    it("histograms only where the contract makes them: `_bucket` of the HTTP and matching-engine timers, not of GC pauses", function () {
        const known = knownRawMetricNames();
        assert.ok(known.has("kline_analytics_http_requests_duration_seconds_bucket"));
        assert.ok(known.has("kline_analytics_matching_engine_duration_seconds_bucket"));
        assert.ok(!known.has("kline_analytics_jvm_gc_pause_seconds_bucket"), "jvm.gc.pause is a timer without a histogram");
        for (const s of ["_count", "_sum", "_max"]) assert.ok(known.has(`kline_analytics_jvm_gc_pause_seconds${s}`), s);
    });

    it("alert thresholds on quantiles are bucket bounds, so histogram_quantile is exact at the threshold", function () {
        const http = METRIC_CONTRACT.find((c) => c.name === "kline_analytics_http_requests_duration_seconds")!.buckets!;
        const engine = METRIC_CONTRACT.find((c) => c.name === "kline_analytics_matching_engine_duration_seconds")!.buckets!;
        for (const env of ["development", "staging", "production", "canary"] as const) {
            const t = ENVIRONMENTS[env].alerts;
            assert.ok(http.includes(t.latencyP95Seconds), `${env}: latencyP95Seconds ${t.latencyP95Seconds}`);
            assert.ok(engine.includes(t.orderProcessingP95Seconds), `${env}: orderProcessingP95Seconds`);
            assert.ok(engine.includes(t.matchingEngineP99Seconds), `${env}: matchingEngineP99Seconds`);
        }
        assert.ok(http.includes(ruleParamsFor(ruleTarget(STABLE)).slo.latency.thresholdSeconds), "the latency SLO bound");
    });

    it("the platform's Spring configuration makes the contract's histograms, keeps the stock HTTP histogram, and adds the common tags", function () {
        const settings: any = applicationSettings(
            { httpPort: 8080, managementPort: 8081, track: "canary", replicas: 1 } as any,
            { host: "db", port: 5432, name: "kline", sslMode: "require", user: "kline" } as any,
            "canary",
        );
        const metrics = settings.management.metrics;
        assert.deepEqual(Object.keys(metrics.tags).sort(), [...COMMON_TAGS].sort());
        assert.equal(metrics.tags.track, "canary");
        for (const c of METRIC_CONTRACT.filter((m) => m.buckets)) {
            assert.equal(metrics.distribution["percentiles-histogram"][c.meter], true, c.meter);
            assert.equal(metrics.distribution.slo[c.meter], sloProperty(c.buckets!), c.meter);
        }
        assert.equal(metrics.distribution.slo["kline.analytics.http.requests.duration"], "100ms,250ms,500ms,1s,2s");
        assert.equal(metrics.distribution.slo["kline.analytics.matching.engine.duration"], "50ms,100ms,250ms,500ms,1s,2500ms");
        assert.equal(metrics.distribution["percentiles-histogram"]["http.server.requests"], true);
        assert.equal(metrics.distribution.slo["http.server.requests"], "100ms,250ms,500ms,1s,2s");
    });

    it("docs/monitoring.md documents each metric's meter, kind, base unit, tags and buckets as the contract has them", function () {
        const rows = docs.split("\n").filter((l) => /^\| `kline_analytics_/.test(l));
        assert.equal(rows.length, APP_METRICS.length);
        for (const c of METRIC_CONTRACT) {
            const row = rows.find((r) => r.startsWith(`| \`${c.name}\` |`));
            assert.ok(row, `${c.name} has no row`);
            const cells = row!.split(" | ").map((x) => x.trim());
            assert.equal(cells[1], `\`${c.meter}\``, c.name);
            assert.match(cells[2], new RegExp(`^${c.kind}${c.baseUnit ? ` \\(${c.baseUnit}\\)` : ""}`), c.name);
            for (const l of c.labels) assert.ok(cells[3].includes(`\`${l}\``), `${c.name}: tag ${l}`);
            if (c.free) assert.match(cells[3], /free/, c.name);
            assert.equal(cells[4], c.buckets ? c.buckets.join(", ") : "-", `${c.name}: buckets`);
            assert.equal(cells[5].replace(/ \|$/, ""), c.standard ? `\`${c.standard}\`` : "-", `${c.name}: stock meter`);
        }
    });
});
