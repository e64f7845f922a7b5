// The Grafana dashboard: every query parses as PromQL (promtool, on a throwaway rule file with one
// recording rule per query) and reads only known metrics; the panels cover traffic, errors,
// latency, JVM, business metrics and backups.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { buildDashboard, dashboardQueries } from "../../components/monitoring/dashboard";
import { knownRawMetricNames } from "../../components/monitoring/metrics";
import { dashboardParams, ruleParamsFor } from "../../components/monitoring/params";
import { buildRuleGroups, isAlert, RecordingRule } from "../../components/monitoring/rules";
import { requireTool, runTool } from "../lib/tools";
import { ruleTarget, STABLE } from "./deployment";
import { parsePromQL } from "./promql";

/** Grafana fills these in before the query reaches Prometheus. */
function substituteVariables(expr: string): string {
    return expr
        .replaceAll("$__rate_interval", "1m")
        .replaceAll("$namespace", "kline-analytics-production")
        .replaceAll("$track", "stable|canary");
}

describe("monitoring: Grafana dashboard", function () {
    const dashboard = buildDashboard(dashboardParams());
    const queries = dashboardQueries(dashboard);

    it("every panel query parses as PromQL under promtool", function () {
        const promtool = requireTool("promtool", "apt-get install prometheus (Debian package listed in .ci/apt/monitoring.txt)");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-dash-"));
        try {
            const file = path.join(dir, "dashboard-queries.yml");
            const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: substituteVariables(q.expr) }));
            fs.writeFileSync(file, YAML.stringify({ groups: [{ name: "dashboard-queries", rules }] }, { lineWidth: 0 }));
            console.log(
                `      running: promtool check rules dashboard-queries.yml (${queries.length} dashboard queries as recording rules)`,
            );
            const out = runTool(promtool, ["check", "rules", file]);
            assert.match(out, new RegExp(`SUCCESS: ${queries.length} rules found`));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads only known exporter metrics and the rules' recorded series", function () {
        const groups = buildRuleGroups(ruleParamsFor(ruleTarget(STABLE)));
        const recorded = new Set(groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => !isAlert(r)).map((r) => r.record)));
        const known = knownRawMetricNames();
        const used = new Set<string>();
        for (const q of queries) {
            const parsed = parsePromQL(substituteVariables(q.expr));
            assert.deepEqual(parsed.errors, [], `${q.where}: ${q.expr}`);
            assert.ok(parsed.metrics.length > 0, `${q.where} selects no metric`);
            for (const m of parsed.metrics) {
                assert.ok(known.has(m) || recorded.has(m), `${q.where}: unknown metric '${m}'`);
                used.add(m);
            }
        }
        const unusedRecordings = [...recorded].filter(
            (r) => !used.has(r) && !groups.some((g) => g.rules.some((x) => isAlert(x) && x.expr.includes(r))),
        );
        assert.deepEqual(unusedRecordings, [], "recorded series nobody reads");
    });

    it("has the required panels, each with a query, unique ids and a data-source variable", function () {
        const panels = dashboard.panels.filter((p) => p.type !== "row");
        const titles = panels.map((p) => p.title.toLowerCase());
        for (const topic of [
            "request rate",
            "error ratio",
            "latency percentiles",
            "heap",
            "gc pause",
            "cpu usage",
            "signals generated",
            "orders processed",
            "matching-engine latency",
            "ocr requests",
            "ocr error ratio",
            "segmentation requests",
            "segmentation error ratio",
            "since last successful backup",
        ]) {
            assert.ok(
                titles.some((t) => t.includes(topic)),
                `no panel about '${topic}'`,
            );
        }
        assert.ok(panels.every((p) => (p.targets ?? []).length > 0 && p.datasource?.uid === "${datasource}"));
        const ids = dashboard.panels.map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length);
        assert.deepEqual(
            dashboard.templating.list.map((v) => v.name),
            ["datasource", "namespace", "track"],
        );
        assert.equal(dashboard.uid, "kline-analytics");
        console.log(`      dashboard: ${panels.length} panels, ${queries.length} queries`);
    });
});
