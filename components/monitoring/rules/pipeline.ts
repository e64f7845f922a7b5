// Alerting-pipeline alerts: Prometheus failing to evaluate or skipping the kline-analytics rule
// groups, Alertmanager failing to deliver notifications, and the maintenance-mode switch (an info
// alert that is always present, firing while maintenance mode is on, so Alertmanager can hold
// back the namespace's warnings). Stable track only; the pipeline alerts only on stacks that
// install Prometheus and Alertmanager.
import { AlertFactory } from "./alert";
import { promql, sel } from "./promql";
import { AlertingRule, GROUP_PREFIX, RuleParams, SelfMonitoring } from "./types";

export const MAINTENANCE_ALERT = "KlineAnalyticsMaintenanceMode";
/** Alertmanager routes this one through another integration than the failing one (alertmanager.ts). */
export const NOTIFICATIONS_FAILING_ALERT = "KlineAnalyticsNotificationsFailing";

/**
 * The alerting pipeline itself: Prometheus failing to evaluate (or skipping) this module's rule
 * groups, and Alertmanager failing to deliver. kube-prometheus-stack's default rules watch all
 * groups and integrations (PrometheusRuleFailures, PrometheusMissingRuleEvaluations,
 * AlertmanagerFailedToSendAlerts, AlertmanagerClusterFailedToSendAlerts); these add the groups
 * that carry kline-analytics' alerts, one alert per group or integration over all replicas, a
 * runbook, and for notifications a route through another integration (alertmanager.ts).
 */
export function pipelineAlerts(f: AlertFactory, m: SelfMonitoring): AlertingRule[] {
    const prom = sel({ namespace: m.namespace, job: m.prometheusJob, rule_group: `=~.*;${GROUP_PREFIX}[.].*` });
    const am = sel({ namespace: m.namespace, job: m.alertmanagerJob });
    const byGroup = "namespace, job, rule_group";
    const byIntegration = "namespace, job, integration";
    return [
        f.alert({
            name: "KlineAnalyticsRuleEvaluationFailures",
            severity: "warning",
            // rule_group is `<rule file>;<group name>`; the chart's PrometheusRuleFailures pages for every group.
            expr: promql`max by (${byGroup}) (increase(prometheus_rule_evaluation_failures_total${prom}[5m])) > 0`,
            for: "10m",
            summary: "Prometheus fails to evaluate kline-analytics rules.",
            description:
                'Prometheus failed {{ $value | printf "%.0f" }} rule evaluations of group {{ $labels.rule_group }} in the last 5 minutes: the alerts of that group cannot fire and its recorded series have gaps.',
        }),
        f.alert({
            name: "KlineAnalyticsRuleGroupIterationsMissed",
            severity: "warning",
            expr: promql`max by (${byGroup}) (increase(prometheus_rule_group_iterations_missed_total${prom}[5m])) > 0`,
            for: "15m",
            summary: "Prometheus skips evaluations of kline-analytics rules.",
            description:
                'Prometheus skipped {{ $value | printf "%.0f" }} evaluations of rule group {{ $labels.rule_group }} in the last 5 minutes because the previous one was still running: its alerts and recorded series lag behind.',
        }),
        f.alert({
            name: NOTIFICATIONS_FAILING_ALERT,
            severity: "critical",
            // Summed over the Alertmanager replicas (one of them sends); failures carry a `reason`.
            expr: promql`
                sum by (${byIntegration}) (rate(alertmanager_notifications_failed_total${am}[5m]))
                /
                sum by (${byIntegration}) (rate(alertmanager_notifications_total${am}[5m]))
                > 0
            `,
            for: "10m",
            summary: "Alertmanager fails to deliver notifications.",
            description:
                "Alertmanager failed to deliver {{ $value | humanizePercentage }} of its {{ $labels.integration }} notifications over the last 5 minutes: the alerts routed there reach nobody. This alert is sent through another integration.",
        }),
    ];
}

export function maintenanceAlert(p: RuleParams, f: AlertFactory): AlertingRule {
    // Always present so the switch is visible in Prometheus; `vector(0) > 0` never fires.
    return f.alert({
        name: MAINTENANCE_ALERT,
        severity: "info",
        expr: promql`vector(${p.maintenanceMode ? 1 : 0}) > 0`,
        labels: { namespace: p.namespace },
        summary: "kline-analytics is in maintenance mode.",
        description: `Maintenance mode is switched on for ${p.namespace} (stack config monitoring.maintenanceMode): Alertmanager holds back warning and info alerts of this namespace; critical alerts still page.`,
    });
}
