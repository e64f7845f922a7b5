// The checks on a rule set's parameters, run before any rule is built: runbook URL, Kubernetes
// names, SLO targets and thresholds. A bad value fails with the key, the value and what is allowed.
import { RuleParams } from "./types";

export function validateParams(p: RuleParams): void {
    const fail = (what: string) => {
        throw new Error(`monitoring rules: ${what}`);
    };
    if (!/^https?:\/\//.test(p.runbookBaseUrl))
        fail(`runbookBaseUrl '${p.runbookBaseUrl}' must be an http(s) URL (the runbook page, e.g. .../docs/monitoring.md)`);
    if (p.runbookBaseUrl.includes("#"))
        fail(`runbookBaseUrl '${p.runbookBaseUrl}' must not contain '#': each alert appends its own anchor`);
    const names: Record<string, string> = { namespace: p.namespace, job: p.job, deployment: p.deployment, container: p.container };
    if (p.selfMonitoring) {
        names["selfMonitoring.namespace"] = p.selfMonitoring.namespace;
        names["selfMonitoring.prometheusJob"] = p.selfMonitoring.prometheusJob;
        names["selfMonitoring.alertmanagerJob"] = p.selfMonitoring.alertmanagerJob;
    }
    for (const [k, v] of Object.entries(names)) {
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v)) fail(`${k} '${v}' is not a Kubernetes name (lower-case letters, digits, '-')`);
    }
    for (const [k, v] of [
        ["slo.availability", p.slo.availability],
        ["slo.latency.objective", p.slo.latency.objective],
    ] as const) {
        if (!(v > 0 && v < 1)) fail(`${k} is ${v}; it must be between 0 and 1 (exclusive), e.g. 0.999`);
    }
    for (const [k, v] of Object.entries(p.thresholds)) {
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(`thresholds.${k} is ${v}; it must be a number >= 0`);
    }
    if (p.thresholds.certCriticalDays >= p.thresholds.certWarningDays) {
        fail(
            `thresholds.certCriticalDays (${p.thresholds.certCriticalDays}) must be below certWarningDays (${p.thresholds.certWarningDays})`,
        );
    }
}
