// Availability alerts: kline-analytics down (no target scraped), a high share of 5xx answers, a
// slow p95 response time, and — on the stable track only — the multiwindow, multi-burn-rate SLO
// alerts on the availability and latency error budgets (SRE workbook ch. 5). Both tracks get the
// first three; the canary's copies select `track="canary"` and its own scrape job.
import { AlertFactory, pct } from "./alert";
import { promql, sel, trackSel } from "./promql";
import { REC } from "./recordings";
import { BURN_RATE_WINDOWS } from "./slo";
import { AlertingRule, RuleParams } from "./types";

export function availabilityAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const ts = sel(trackSel(p));
    // `up` has target labels only (no `track`): each track's Service is its own scrape job.
    const up = sel({ namespace: p.namespace, job: p.job });
    const alerts = [
        f.alert({
            name: "KlineAnalyticsDown",
            severity: "critical",
            expr: promql`
                sum by (namespace, job) (up${up}) == 0
                or
                absent(up${up})
            `,
            for: "2m",
            summary: "kline-analytics is down.",
            description:
                "No kline-analytics target of job {{ $labels.job }} in namespace {{ $labels.namespace }} has been scraped successfully for 2 minutes: the service is down or unreachable for Prometheus.",
        }),
        f.alert({
            name: "KlineAnalyticsHighErrorRate",
            severity: "warning",
            expr: promql`${REC.errorRatio("5m")}${ts} > ${t.errorRatio}`,
            for: "5m",
            summary: "kline-analytics answers many requests with 5xx.",
            description: `{{ $value | humanizePercentage }} of the HTTP requests to {{ $labels.job }} in {{ $labels.namespace }} failed with a 5xx status over the last 5 minutes (threshold ${pct(t.errorRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsHighResponseTime",
            severity: "warning",
            expr: promql`${REC.httpQuantile("p95")}${ts} > ${t.latencyP95Seconds}`,
            for: "10m",
            summary: "kline-analytics responds slowly.",
            description: `The 95th percentile HTTP response time of {{ $labels.job }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} (threshold ${t.latencyP95Seconds}s).`,
        }),
    ];
    if (p.track === "canary") return alerts;
    const latency = p.slo.latency;
    return [
        ...alerts,
        ...burnRateAlerts(f, ts, {
            name: "KlineAnalyticsAvailabilityBudgetBurn",
            ratio: REC.errorRatio,
            budget: +(1 - p.slo.availability).toFixed(6),
            summary: "kline-analytics is burning its availability error budget too fast.",
            description: (w) =>
                `{{ $labels.job }} in {{ $labels.namespace }} answered {{ $value | humanizePercentage }} of requests with 5xx over the last ${w.long} (and still over the last ${w.short}): ${w.factor}x the error budget of the ${pct(p.slo.availability)} availability objective.`,
        }),
        ...burnRateAlerts(f, ts, {
            name: "KlineAnalyticsLatencyBudgetBurn",
            ratio: REC.slowRatio,
            budget: +(1 - latency.objective).toFixed(6),
            summary: "kline-analytics is burning its latency error budget too fast.",
            description: (w) =>
                `{{ $value | humanizePercentage }} of the requests to {{ $labels.job }} in {{ $labels.namespace }} took longer than ${latency.thresholdSeconds}s over the last ${w.long} (and still over the last ${w.short}): ${w.factor}x the budget of the ${pct(latency.objective)} latency objective.`,
        }),
    ];
}

type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

/** One error budget: the recorded ratio of bad requests per window, and how its alerts read. */
interface Budget {
    name: string;
    ratio: (window: string) => string;
    /** Share of requests that may be bad: 1 - objective. */
    budget: number;
    summary: string;
    description: (w: BurnRateWindow) => string;
}

/**
 * One alert per burn-rate window: a long window proves the burn is significant, the short window
 * (1/12 of it) ends the alert soon after the burn stops.
 */
function burnRateAlerts(f: AlertFactory, ts: string, b: Budget): AlertingRule[] {
    return BURN_RATE_WINDOWS.map((w) =>
        f.alert({
            name: b.name,
            severity: w.severity,
            expr: promql`
                ${b.ratio(w.long)}${ts} > (${w.factor} * ${b.budget})
                and
                ${b.ratio(w.short)}${ts} > (${w.factor} * ${b.budget})
            `,
            for: w.for,
            labels: { long_window: w.long, short_window: w.short },
            summary: b.summary,
            description: b.description(w),
        }),
    );
}
