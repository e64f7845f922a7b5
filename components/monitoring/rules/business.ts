// Business alerts: what kline-analytics does for its users — trading signals generated, orders
// processed, matching-engine latency (p95 warning, p99 critical) and the error ratios of OCR and
// chart segmentation. Signal and order volume are judged on the stable track only.
import { AlertFactory, pct } from "./alert";
import { promql, sel, trackSel } from "./promql";
import { REC } from "./recordings";
import { AlertingRule, RuleParams } from "./types";

export function businessAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const ts = sel(trackSel(p));
    const alerts: AlertingRule[] = [];
    // Signal and order volume follow the traffic share; the canary's share is too small to judge.
    if (p.track === "stable") {
        alerts.push(
            f.alert({
                name: "KlineAnalyticsLowSignalGeneration",
                severity: "warning",
                expr: promql`${REC.signalsRate}${ts} < ${t.minSignalsPerSecond}`,
                for: "15m",
                summary: "kline-analytics generates few trading signals.",
                description: `{{ $labels.job }} in {{ $labels.namespace }} generated {{ $value | printf "%.2f" }} signals per second over the last 5 minutes (minimum ${t.minSignalsPerSecond}/s).`,
            }),
            f.alert({
                name: "KlineAnalyticsNoOrdersProcessed",
                severity: "info",
                expr: promql`${REC.ordersRate}${ts} == 0`,
                for: "30m",
                summary: "kline-analytics has processed no orders for 30 minutes.",
                description:
                    "{{ $labels.job }} in {{ $labels.namespace }} has processed no orders for 30 minutes while it is being scraped.",
            }),
        );
    }
    alerts.push(
        f.alert({
            name: "KlineAnalyticsHighOrderProcessingTime",
            severity: "warning",
            expr: promql`${REC.engineQuantile("p95")}${ts} > ${t.orderProcessingP95Seconds}`,
            for: "10m",
            summary: "kline-analytics takes long to process orders.",
            description: `The 95th percentile time the matching engine of {{ $labels.job }} in {{ $labels.namespace }} takes per order is {{ $value | humanizeDuration }} (threshold ${t.orderProcessingP95Seconds}s).`,
        }),
        f.alert({
            name: "KlineAnalyticsMatchingEngineHighLatency",
            severity: "critical",
            expr: promql`${REC.engineQuantile("p99")}${ts} > ${t.matchingEngineP99Seconds}`,
            for: "5m",
            summary: "The kline-analytics matching engine is very slow.",
            description: `The 99th percentile matching-engine time of {{ $labels.job }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} (threshold ${t.matchingEngineP99Seconds}s): orders queue up.`,
        }),
        // The share of failed requests, for the two request kinds that report an outcome.
        ...[
            {
                name: "KlineAnalyticsOCRHighErrorRate",
                ratio: REC.ocrErrorRatio,
                threshold: t.ocrErrorRatio,
                requests: "OCR requests",
                summary: "Many kline-analytics OCR requests fail.",
            },
            {
                name: "KlineAnalyticsSegmentationHighErrorRate",
                ratio: REC.segErrorRatio,
                threshold: t.segmentationErrorRatio,
                requests: "segmentation requests",
                summary: "Many kline-analytics chart segmentation requests fail.",
            },
        ].map((r) =>
            f.alert({
                name: r.name,
                severity: "warning",
                expr: promql`${r.ratio}${ts} > ${r.threshold}`,
                for: "10m",
                summary: r.summary,
                description: `{{ $value | humanizePercentage }} of the ${r.requests} of {{ $labels.job }} in {{ $labels.namespace }} failed over the last 5 minutes (threshold ${pct(r.threshold)}).`,
            }),
        ),
    );
    return alerts;
}
