// The alert-building helper every area uses: one factory per rule set adds the labels and
// annotations all its alerts share (severity, environment, the canary's `track` label, the
// runbook link), plus the formatting helpers of alert descriptions.
import { AlertingRule, RuleParams, Severity } from "./types";

/** One alert as an area writes it; the factory adds what every alert of the rule set shares. */
export interface AlertSpec {
    name: string;
    severity: Severity;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    summary: string;
    description: string;
}

/** Builds alerts with the labels and annotations every alert of one rule set shares. */
export class AlertFactory {
    constructor(private readonly p: RuleParams) {}

    alert(a: AlertSpec): AlertingRule {
        const labels: AlertingRule["labels"] = { severity: a.severity, environment: this.p.environment, ...(a.labels ?? {}) };
        if (this.p.track === "canary") labels.track = "canary";
        const rule: AlertingRule = {
            alert: a.name,
            expr: a.expr,
            labels,
            annotations: {
                summary: a.summary,
                description: a.description,
                runbook_url: `${this.p.runbookBaseUrl}#${runbookAnchor(a.name)}`,
            },
        };
        if (a.for) rule.for = a.for;
        return rule;
    }
}

/** Markdown heading anchor of an alert's runbook section in docs/monitoring.md. */
export function runbookAnchor(alertname: string): string {
    return alertname.toLowerCase();
}

/** A ratio as a percentage for descriptions: 0.999 -> "99.9%". */
export function pct(ratio: number): string {
    return `${+(ratio * 100).toFixed(4)}%`;
}
