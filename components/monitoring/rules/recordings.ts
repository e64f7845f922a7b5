// Recording rules: the expensive expressions every area's alerts and the dashboard read, evaluated
// once per interval — HTTP rates, error and slow-request ratios over every SLO window and latency
// quantiles; JVM heap and GC, container CPU and memory against their limits; signal and order
// rates, matching-engine quantiles and the OCR and segmentation error ratios. Only the stable
// rule set carries them; they aggregate by `track`, so the canary's alerts read them too.
import { BY_JOB, BY_POD, leLabel, promql, quantile, ratio } from "./promql";
import { RATIO_WINDOWS } from "./slo";
import { GROUP_PREFIX, RecordingRule, RuleGroup, RuleParams } from "./types";

// ---- recorded series names (also used by the dashboard) ---------------------------------------
export const REC = {
    httpRate: "namespace_job_track:kline_analytics_http_requests:rate5m",
    errorRatio: (w: string) => `namespace_job_track:kline_analytics_http_requests_errors:ratio_rate${w}`,
    slowRatio: (w: string) => `namespace_job_track:kline_analytics_http_requests_slow:ratio_rate${w}`,
    httpQuantile: (q: "p50" | "p95" | "p99") => `namespace_job_track:kline_analytics_http_requests_duration_seconds:${q}_rate5m`,
    heapRatio: "namespace_pod_track:kline_analytics_jvm_heap:used_ratio",
    gcAvgPause: "namespace_pod_track:kline_analytics_jvm_gc_pause_seconds:avg_rate5m",
    gcTimeShare: "namespace_pod_track:kline_analytics_jvm_gc_pause_seconds:rate5m",
    signalsRate: "namespace_job_track:kline_analytics_signals_generated:rate5m",
    ordersRate: "namespace_job_track:kline_analytics_orders_processed:rate5m",
    engineQuantile: (q: "p50" | "p95" | "p99") => `namespace_job_track:kline_analytics_matching_engine_duration_seconds:${q}_rate5m`,
    ocrErrorRatio: "namespace_job_track:kline_analytics_ocr_requests_errors:ratio_rate5m",
    segErrorRatio: "namespace_job_track:kline_analytics_segmentation_requests_errors:ratio_rate5m",
    cpuRatio: "namespace_pod:kline_analytics_container_cpu_usage:ratio_limit_rate5m",
    memoryRatio: "namespace_pod:kline_analytics_container_memory_working_set:ratio_limit",
} as const;

/** The latency quantiles recorded for HTTP requests and the matching engine. */
const QUANTILES = [
    ["p50", 0.5],
    ["p95", 0.95],
    ["p99", 0.99],
] as const;

/** Recording rules. Only the stable set carries them; they aggregate by `track` for both tracks. */
export function recordingGroups(p: Pick<RuleParams, "namespace" | "container" | "slo">): RuleGroup[] {
    return [
        { name: `${GROUP_PREFIX}.recording.http`, rules: httpRecordings(p) },
        { name: `${GROUP_PREFIX}.recording.resources`, rules: resourceRecordings(p) },
        { name: `${GROUP_PREFIX}.recording.business`, rules: businessRecordings(p) },
    ];
}

function httpRecordings(p: Pick<RuleParams, "namespace" | "slo">): RecordingRule[] {
    const ns = p.namespace;
    const req = "kline_analytics_http_requests_total";
    const dur = "kline_analytics_http_requests_duration_seconds";
    const le = leLabel(p.slo.latency.thresholdSeconds);
    const rules: RecordingRule[] = [
        {
            record: REC.httpRate,
            expr: promql`sum by (${BY_JOB}) (rate(${req}{namespace="${ns}"}[5m]))`,
        },
    ];
    for (const w of RATIO_WINDOWS) {
        rules.push({
            record: REC.errorRatio(w),
            expr: ratio(BY_JOB, `rate(${req}{namespace="${ns}", status=~"5.."}[${w}])`, `rate(${req}{namespace="${ns}"}[${w}])`),
        });
        rules.push({
            record: REC.slowRatio(w),
            expr: promql`
                1 - (
                  sum by (${BY_JOB}) (rate(${dur}_bucket{namespace="${ns}", le="${le}"}[${w}]))
                  /
                  sum by (${BY_JOB}) (rate(${dur}_count{namespace="${ns}"}[${w}]))
                )
            `,
        });
    }
    for (const [q, v] of QUANTILES) rules.push({ record: REC.httpQuantile(q), expr: quantile(v, `${dur}_bucket`, ns) });
    return rules;
}

function resourceRecordings(p: Pick<RuleParams, "namespace" | "container">): RecordingRule[] {
    const ns = p.namespace;
    const c = `namespace="${ns}", container="${p.container}"`;
    const gc = "kline_analytics_jvm_gc_pause_seconds";
    return [
        {
            // Pools without a maximum (G1 Eden/Survivor) report max = -1; only real maxima count.
            record: REC.heapRatio,
            expr: promql`
                sum by (${BY_POD}) (kline_analytics_jvm_memory_used_bytes{namespace="${ns}", area="heap"})
                /
                sum by (${BY_POD}) (kline_analytics_jvm_memory_max_bytes{namespace="${ns}", area="heap"} > 0)
            `,
        },
        {
            record: REC.gcAvgPause,
            expr: promql`
                sum by (${BY_POD}) (rate(${gc}_sum{namespace="${ns}"}[5m]))
                /
                sum by (${BY_POD}) (rate(${gc}_count{namespace="${ns}"}[5m]))
            `,
        },
        {
            record: REC.gcTimeShare,
            expr: promql`sum by (${BY_POD}) (rate(${gc}_sum{namespace="${ns}"}[5m]))`,
        },
        {
            record: REC.cpuRatio,
            expr: promql`
                sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{${c}}[5m]))
                /
                sum by (namespace, pod) (kube_pod_container_resource_limits{${c}, resource="cpu"})
            `,
        },
        {
            record: REC.memoryRatio,
            expr: promql`
                max by (namespace, pod) (container_memory_working_set_bytes{${c}})
                /
                sum by (namespace, pod) (kube_pod_container_resource_limits{${c}, resource="memory"})
            `,
        },
    ];
}

function businessRecordings(p: Pick<RuleParams, "namespace">): RecordingRule[] {
    const ns = p.namespace;
    const ocr = "kline_analytics_ocr_requests_total";
    const seg = "kline_analytics_segmentation_requests_total";
    return [
        {
            record: REC.signalsRate,
            expr: promql`sum by (${BY_JOB}) (rate(kline_analytics_signals_generated_total{namespace="${ns}"}[5m]))`,
        },
        {
            record: REC.ordersRate,
            expr: promql`sum by (${BY_JOB}) (rate(kline_analytics_orders_processed_total{namespace="${ns}"}[5m]))`,
        },
        ...QUANTILES.map(([q, v]) => ({
            record: REC.engineQuantile(q),
            expr: quantile(v, "kline_analytics_matching_engine_duration_seconds_bucket", ns),
        })),
        {
            record: REC.ocrErrorRatio,
            expr: ratio(BY_JOB, `rate(${ocr}{namespace="${ns}", outcome="ERROR"}[5m])`, `rate(${ocr}{namespace="${ns}"}[5m])`),
        },
        {
            record: REC.segErrorRatio,
            expr: ratio(BY_JOB, `rate(${seg}{namespace="${ns}", outcome="ERROR"}[5m])`, `rate(${seg}{namespace="${ns}"}[5m])`),
        },
    ];
}
