// promtool scenarios of the alerting-pipeline alerts (components/monitoring/rules/pipeline.ts):
// Slack and PagerDuty rejecting notifications, Prometheus failing and skipping evaluations of
// kline-analytics rule groups, and maintenance mode switched on. Production only.
import {
    ALERTMANAGER_JOB,
    alertmanagerLabels,
    MONITORING_NS,
    NS,
    PROMETHEUS_JOB,
    prometheusLabels,
    RULE_GROUPS,
    STABLE,
} from "../deployment";
import { counterPhases, gaugePhases, World } from "../world";
import { at, expected, Part, scenario } from "./scenario";

/** Alertmanager's and Prometheus' failures (production only). */
export function stableScenarios() {
    const t = STABLE;
    const notificationsFailing = (integration: string, share: string) =>
        expected(
            "KlineAnalyticsNotificationsFailing",
            "critical",
            t,
            { namespace: MONITORING_NS, job: ALERTMANAGER_JOB, integration },
            "Alertmanager fails to deliver notifications.",
            `Alertmanager failed to deliver ${share} of its ${integration} notifications over the last 5 minutes: the alerts routed there reach nobody. This alert is sent through another integration.`,
        );
    const am0 = alertmanagerLabels(0);
    /** `integration` sends `sent` notifications a minute; from minute 5, `failed` of them fail with `reason`. */
    const failingFromMinute5 = (w: World, integration: string, sent: number, failed: number, reason: string) => {
        w.set("alertmanager_notifications_total", { ...am0, integration }, counterPhases([[sent, w.minutes]]));
        w.set(
            "alertmanager_notifications_failed_total",
            { ...am0, integration, reason },
            counterPhases([
                [0, 5],
                [failed, w.minutes],
            ]),
        );
    };
    const bothPrometheus = (w: World, metric: string, group: string, perMinute: number) => {
        for (const i of [0, 1]) {
            w.set(
                metric,
                { ...prometheusLabels(i), rule_group: group },
                counterPhases([
                    [0, 5],
                    [perMinute, w.minutes],
                ]),
            );
        }
    };
    return {
        slackFailing: scenario(
            "Slack rejects every notification from minute 5 (the webhook was revoked); one heartbeat fails at minute 10 (transient: no alert)",
            30,
            (w) => {
                failingFromMinute5(w, "slack", 2, 2, "clientError");
                w.set(
                    "alertmanager_notifications_failed_total",
                    { ...am0, integration: "webhook", reason: "serverError" },
                    gaugePhases([
                        [0, 9],
                        [1, w.minutes],
                    ]),
                );
            },
            [
                at("15m", "KlineAnalyticsNotificationsFailing"), // pending: failing for 10 minutes first
                at("25m", "KlineAnalyticsNotificationsFailing", notificationsFailing("slack", "100%")),
            ],
        ),
        pagerdutyFailing: scenario(
            "PagerDuty answers one notification in three with a 5xx from minute 5",
            30,
            (w) => failingFromMinute5(w, "pagerduty", 3, 1, "serverError"),
            [at("25m", "KlineAnalyticsNotificationsFailing", notificationsFailing("pagerduty", "33.33%"))],
        ),
        ruleFailures: scenario(
            "both Prometheus replicas fail every evaluation of kline-analytics.stable.backup from minute 5 (a chart's group failing too is left to the chart's PrometheusRuleFailures)",
            30,
            (w) => {
                bothPrometheus(w, "prometheus_rule_evaluation_failures_total", RULE_GROUPS.stableBackup, 4);
                bothPrometheus(w, "prometheus_rule_evaluation_failures_total", RULE_GROUPS.chartApps, 4);
            },
            [
                at("15m", "KlineAnalyticsRuleEvaluationFailures"),
                at(
                    "25m",
                    "KlineAnalyticsRuleEvaluationFailures",
                    expected(
                        "KlineAnalyticsRuleEvaluationFailures",
                        "warning",
                        t,
                        { namespace: MONITORING_NS, job: PROMETHEUS_JOB, rule_group: RULE_GROUPS.stableBackup },
                        "Prometheus fails to evaluate kline-analytics rules.",
                        `Prometheus failed 20 rule evaluations of group ${RULE_GROUPS.stableBackup} in the last 5 minutes: the alerts of that group cannot fire and its recorded series have gaps.`,
                    ),
                ),
            ],
        ),
        iterationsMissed: scenario(
            "both Prometheus replicas skip every other iteration of kline-analytics.recording.http from minute 5 (it runs longer than the interval)",
            40,
            (w) => bothPrometheus(w, "prometheus_rule_group_iterations_missed_total", RULE_GROUPS.recordingHttp, 2),
            [
                at("20m", "KlineAnalyticsRuleGroupIterationsMissed"),
                at(
                    "30m",
                    "KlineAnalyticsRuleGroupIterationsMissed",
                    expected(
                        "KlineAnalyticsRuleGroupIterationsMissed",
                        "warning",
                        t,
                        { namespace: MONITORING_NS, job: PROMETHEUS_JOB, rule_group: RULE_GROUPS.recordingHttp },
                        "Prometheus skips evaluations of kline-analytics rules.",
                        `Prometheus skipped 10 evaluations of rule group ${RULE_GROUPS.recordingHttp} in the last 5 minutes because the previous one was still running: its alerts and recorded series lag behind.`,
                    ),
                ),
            ],
        ),
    };
}

/** The maintenance switch on: KlineAnalyticsMaintenanceMode fires at once (separate rules file). */
export function maintenanceScenario(): Part {
    return scenario("maintenance mode switched on", 10, () => undefined, [
        at(
            "1m",
            "KlineAnalyticsMaintenanceMode",
            expected(
                "KlineAnalyticsMaintenanceMode",
                "info",
                STABLE,
                { namespace: NS },
                "kline-analytics is in maintenance mode.",
                `Maintenance mode is switched on for ${NS} (stack config monitoring.maintenanceMode): Alertmanager holds back warning and info alerts of this namespace; critical alerts still page.`,
            ),
        ),
    ]);
}
