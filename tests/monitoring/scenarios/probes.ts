// promtool scenarios of the probe alerts (components/monitoring/rules/probes.ts): the external
// health check failing or slow, and the served certificate expiring in 10 days (warning) or
// 2 days (critical and warning). Production only.
import { NS, PROBE_URL, probeLabels, STABLE } from "../deployment";
import { gauge, gaugePhases } from "../world";
import { at, expected, scenario } from "./scenario";

/** The blackbox probe's failures (production only). */
export function stableScenarios() {
    const t = STABLE;
    const cert = (severity: string, left: string, days: number) =>
        expected(
            "KlineAnalyticsCertificateExpiry",
            severity,
            t,
            { namespace: NS, job: "kline-analytics-blackbox", instance: PROBE_URL },
            severity === "critical"
                ? "kline-analytics' TLS certificate is about to expire."
                : "kline-analytics' TLS certificate expires soon.",
            `The TLS certificate served at ${PROBE_URL} expires in ${left} (threshold ${days} days).`,
        );
    return {
        failed: scenario(
            "stable: the external health check fails from minute 10",
            20,
            (w) =>
                w.set(
                    "probe_success",
                    probeLabels,
                    gaugePhases([
                        [1, 9],
                        [0, w.minutes],
                    ]),
                ),
            [
                at(
                    "20m",
                    "KlineAnalyticsProbeFailed",
                    expected(
                        "KlineAnalyticsProbeFailed",
                        "critical",
                        t,
                        probeLabels,
                        "kline-analytics' external health check fails.",
                        `The blackbox probe of ${PROBE_URL} has failed for 5 minutes: users cannot reach kline-analytics from outside.`,
                    ),
                ),
            ],
        ),
        slow: scenario(
            "stable: the external health check takes 3.2 s",
            30,
            (w) => w.set("probe_duration_seconds", probeLabels, gauge(3.2, w.minutes)),
            [
                at(
                    "20m",
                    "KlineAnalyticsProbeSlow",
                    expected(
                        "KlineAnalyticsProbeSlow",
                        "warning",
                        t,
                        probeLabels,
                        "kline-analytics' external health check is slow.",
                        `The blackbox probe of ${PROBE_URL} took 3.2s on average over the last 5 minutes (threshold 2s).`,
                    ),
                ),
            ],
        ),
        cert10: scenario(
            "stable: the served certificate expires in 10 days (warning only)",
            30,
            (w) => w.set("probe_ssl_earliest_cert_expiry", probeLabels, gauge(10 * 86400, w.minutes)),
            [at("20m", "KlineAnalyticsCertificateExpiry", cert("warning", "9d 23h 40m 0s", 14))],
        ),
        cert2: scenario(
            "stable: the served certificate expires in 2 days (critical and warning)",
            30,
            (w) => w.set("probe_ssl_earliest_cert_expiry", probeLabels, gauge(2 * 86400, w.minutes)),
            [at("20m", "KlineAnalyticsCertificateExpiry", cert("warning", "1d 23h 40m 0s", 14), cert("critical", "1d 23h 40m 0s", 3))],
        ),
    };
}
