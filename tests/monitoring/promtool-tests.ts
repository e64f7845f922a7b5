// Turns the scenarios into promtool unit-test files (one file per evaluation interval, since
// promtool sets that per file) so a single `promtool test rules` run covers every alert.
import * as YAML from "yaml";
import { AlertingRule } from "../../components/monitoring/rules";
import { healthyWorld } from "./deployment";
import { fireScenarios, HEALTHY_CHECK_TIMES, HEALTHY_MINUTES, maintenanceScenario, Scenario } from "./scenarios";

function group(s: Scenario) {
    return {
        name: s.name,
        interval: "1m",
        input_series: s.build().toInput(),
        alert_rule_test: s.checks.map((c) => ({
            eval_time: c.at,
            alertname: c.alertname,
            exp_alerts: c.expect.map((e) => ({ exp_labels: e.labels, exp_annotations: e.annotations })),
        })),
    };
}

/** Healthy production and canary for four hours, every alert name checked for silence. */
function healthyGroup(alertnames: string[]) {
    return {
        name: "healthy production and canary: no alert fires",
        interval: "1m",
        input_series: healthyWorld(HEALTHY_MINUTES).toInput(),
        alert_rule_test: HEALTHY_CHECK_TIMES.flatMap((t) => alertnames.map((a) => ({ eval_time: t, alertname: a, exp_alerts: [] }))),
    };
}

export interface TestFiles {
    /** file name -> YAML text; rule files are referenced by the paths given. */
    files: Record<string, string>;
    groups: number;
    checks: number;
}

/**
 * Rules are evaluated every 5 minutes, or 10 for the multi-hour timelines (Prometheus does every
 * 15-30 s; coarser keeps the suite fast and changes no outcome: every check lies well past the
 * `for` of the alert it expects). promtool sets the interval per file, hence one file each.
 * Recording groups go first at each step, as their results must be current when alerts read them.
 * promtool's group order is arbitrary, and a group missing from group_eval_order sorts like the
 * first one listed, so every group is listed.
 *
 * @param ruleFiles  the exported rule files of the production namespace (stable + canary)
 * @param maintenanceRuleFiles the same with maintenance mode switched on
 * @param groupOrder every rule group name, recording groups first
 * @param alertnames every alert name of those rule files (for the silence checks)
 */
export function buildTestFiles(ruleFiles: string[], maintenanceRuleFiles: string[], groupOrder: string[], alertnames: string[]): TestFiles {
    const scenarios = fireScenarios();
    const short = scenarios.filter((s) => s.evaluationInterval === "5m").map(group);
    const long = [...scenarios.filter((s) => s.evaluationInterval === "10m").map(group), healthyGroup(alertnames)];
    const maintenance = [group(maintenanceScenario())];
    const file = (rule_files: string[], evaluation_interval: string, tests: unknown[]) =>
        YAML.stringify({ rule_files, evaluation_interval, group_eval_order: groupOrder, tests }, { lineWidth: 0 });
    const all = [...short, ...long, ...maintenance];
    return {
        files: {
            "alerts.test.yml": file(ruleFiles, "5m", short),
            "alerts-long.test.yml": file(ruleFiles, "10m", long),
            "maintenance.test.yml": file(maintenanceRuleFiles, "5m", maintenance),
        },
        groups: all.length,
        checks: all.reduce((n, g) => n + g.alert_rule_test.length, 0),
    };
}

/** Identity of an alert rule: its name plus the static labels that tell same-named rules apart. */
export function ruleIdentity(a: { alert?: string; labels: Record<string, string> }, alertname = a.alert): string {
    const l = a.labels;
    return [alertname, l.severity, l.long_window ?? "", l.short_window ?? "", l.track === "canary" ? "canary" : "stable"].join("|");
}

/** Rules that no scenario expects to fire (should be empty). */
export function rulesWithoutFiringCase(rules: AlertingRule[]): string[] {
    const fired = new Set<string>();
    for (const s of [...fireScenarios(), maintenanceScenario()]) {
        for (const c of s.checks) for (const e of c.expect) fired.add(ruleIdentity({ labels: e.labels }, c.alertname));
    }
    return rules.map((r) => ruleIdentity(r)).filter((id) => !fired.has(id));
}
