// Probe alerts: kline-analytics as its users reach it from outside, through the blackbox
// exporter's Probe of the external URL — the health check failing or slow, and the served TLS
// certificate close to expiry (warning, then critical). Stable track only, on stacks that probe.
import { AlertFactory } from "./alert";
import { promql, sel } from "./promql";
import { AlertingRule, RuleParams } from "./types";

export function probeAlerts(p: RuleParams, f: AlertFactory, probeJob: string): AlertingRule[] {
    const t = p.thresholds;
    const ps = sel({ namespace: p.namespace, job: probeJob });
    const by = "namespace, job, instance";
    const expiry = (days: number) => promql`min by (${by}) (probe_ssl_earliest_cert_expiry${ps}) - time() < ${days} * 86400`;
    const certDescription = (days: number) =>
        `The TLS certificate served at {{ $labels.instance }} expires in {{ $value | humanizeDuration }} (threshold ${days} days).`;
    return [
        f.alert({
            name: "KlineAnalyticsProbeFailed",
            severity: "critical",
            expr: promql`max by (${by}) (probe_success${ps}) == 0`,
            for: "5m",
            summary: "kline-analytics' external health check fails.",
            description:
                "The blackbox probe of {{ $labels.instance }} has failed for 5 minutes: users cannot reach kline-analytics from outside.",
        }),
        f.alert({
            name: "KlineAnalyticsProbeSlow",
            severity: "warning",
            expr: promql`max by (${by}) (avg_over_time(probe_duration_seconds${ps}[5m])) > ${t.probeSlowSeconds}`,
            for: "10m",
            summary: "kline-analytics' external health check is slow.",
            description: `The blackbox probe of {{ $labels.instance }} took {{ $value | humanizeDuration }} on average over the last 5 minutes (threshold ${t.probeSlowSeconds}s).`,
        }),
        f.alert({
            name: "KlineAnalyticsCertificateExpiry",
            severity: "warning",
            expr: expiry(t.certWarningDays),
            for: "10m",
            summary: "kline-analytics' TLS certificate expires soon.",
            description: certDescription(t.certWarningDays),
        }),
        f.alert({
            name: "KlineAnalyticsCertificateExpiry",
            severity: "critical",
            expr: expiry(t.certCriticalDays),
            for: "10m",
            summary: "kline-analytics' TLS certificate is about to expire.",
            description: certDescription(t.certCriticalDays),
        }),
    ];
}
