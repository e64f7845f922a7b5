// The one module that owns kline-analytics' Prometheus rule groups: recording rules for the
// expensive expressions and every alert, as plain data built by pure functions. The same groups
// become the PrometheusRule custom resource (components/monitoring), the exported rules file
// (`npm run rules:export`) and the input of `promtool check rules` / `promtool test rules`.
//
// Tracks: production's namespace runs a stable Deployment and, on the canary stack, a second
// Deployment labelled `track: canary` with its own Service (so its own scrape `job`). The app's
// series carry `track` (a Micrometer common tag). The stable rule set carries the recording
// rules (aggregated by `track`, so they serve both tracks) and alerts that select
// `track!="canary"` (app metrics), the stable job (`up`) or the stable Deployment's pods by name
// (kube-state-metrics and cAdvisor have no `track` label): a bad canary never fires a production
// alert. The canary rule set holds alerts only, selecting `track="canary"` / the canary's pods,
// and labels every alert `track: canary`, which Alertmanager routes to a non-paging receiver.

import { AlertThresholds } from "../../config/types";

export type Severity = "critical" | "warning" | "info";
import { Track } from "../../contract/names";
export type { Track };

export interface AlertingRule {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: Severity } & Record<string, string>;
    annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
    record: string;
    expr: string;
    labels?: Record<string, string>;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
    name: string;
    rules: Rule[];
}

/** The alert thresholds, decided per environment by the config module (config/environments.ts). */
export type Thresholds = AlertThresholds;

export interface SloTargets {
    /** Share of requests that must not answer 5xx, e.g. 0.999. */
    availability: number;
    /** Share of requests that must finish within `thresholdSeconds`, e.g. 0.99 within 0.5 s. */
    latency: { objective: number; thresholdSeconds: number };
}

export interface RuleParams {
    environment: string;
    /** Namespace the app runs in (the canary runs in production's). */
    namespace: string;
    track: Track;
    /** Scrape job of the track's ServiceMonitor: the Service name (`kline-analytics`, `kline-analytics-canary`). */
    job: string;
    /** The track's Deployment; its pods are `<deployment>-<template hash>-<suffix>`. */
    deployment: string;
    /** The application container's name inside the pod. */
    container: string;
    /** Base of every `runbook_url`; the alert's anchor is appended (`#klineanalyticsdown`). */
    runbookBaseUrl: string;
    thresholds: Thresholds;
    slo: SloTargets;
    /** The backup CronJob; undefined when the stack runs no backups (no backup alerts). */
    backupCronJob?: string;
    /**
     * Point-in-time recovery of the in-cluster database (pgBackRest): the scrape job of its pod's
     * metrics (postgres_exporter and the agent's file) and the backup schedule. Undefined: no PITR alerts.
     */
    pitr?: PitrRuleParams;
    /** `job` label of the blackbox Probe of the app's external URL; undefined: no probe alerts. */
    probeJob?: string;
    /**
     * The Prometheus and Alertmanager this stack installs (their namespace and scrape jobs):
     * alerts on rule evaluation failures of the kline-analytics rule groups and on failed
     * notifications. Undefined on stacks that install no monitoring (the canary).
     */
    selfMonitoring?: SelfMonitoring;
    /** While true, KlineAnalyticsMaintenanceMode fires and Alertmanager inhibits warning/info of the namespace. */
    maintenanceMode: boolean;
}

export interface PitrRuleParams {
    /** `job` of the database pod's metrics: the in-cluster PostgreSQL Service's name. */
    job: string;
    /** The agent takes a full backup when the newest is this old, an incremental one likewise. */
    fullEverySeconds: number;
    incrementalEverySeconds: number;
}

/** Slack before a PITR backup counts as late: the agent's round, the backup's own run time. */
export const PITR_BACKUP_GRACE_SECONDS = { incremental: 2 * 3600, full: 6 * 3600 } as const;
/** WAL segments waiting for archiving (archive_timeout switches one a minute) before archiving counts as lagging. */
export const PITR_READY_SEGMENTS_MAX = 5;

export interface SelfMonitoring {
    namespace: string;
    /** `job` of Prometheus' own metrics (the chart's Service `kube-prometheus-stack-prometheus`). */
    prometheusJob: string;
    /** `job` of Alertmanager's own metrics (`kube-prometheus-stack-alertmanager`). */
    alertmanagerJob: string;
}

/** SRE-workbook multiwindow, multi-burn-rate windows (kubernetes-mixin's `for` durations). */
export const BURN_RATE_WINDOWS = [
    { long: "1h", short: "5m", factor: 14.4, severity: "critical", for: "2m" },
    { long: "6h", short: "30m", factor: 6, severity: "critical", for: "15m" },
    { long: "1d", short: "2h", factor: 3, severity: "warning", for: "1h" },
    { long: "3d", short: "6h", factor: 1, severity: "warning", for: "3h" },
] as const;

/** Every window a ratio is recorded for: the burn-rate windows plus the 5m used elsewhere. */
export const RATIO_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;

export const MAINTENANCE_ALERT = "KlineAnalyticsMaintenanceMode";
/** Alertmanager routes this one through another integration than the failing one (alertmanager.ts). */
export const NOTIFICATIONS_FAILING_ALERT = "KlineAnalyticsNotificationsFailing";
/** Every rule group of this module is named `kline-analytics.<...>`. */
export const GROUP_PREFIX = "kline-analytics";

export const DEFAULT_SLO: SloTargets = { availability: 0.999, latency: { objective: 0.99, thresholdSeconds: 0.5 } };

/** Markdown heading anchor of an alert's runbook section in docs/monitoring.md. */
export function runbookAnchor(alertname: string): string {
    return alertname.toLowerCase();
}

/**
 * The `le` label value of a bucket bound as the Prometheus Java client (Micrometer) writes it:
 * Go-style float formatting, so 0.5 -> "0.5" and 1 -> "1.0".
 */
export function leLabel(seconds: number): string {
    return Number.isInteger(seconds) ? `${seconds}.0` : String(seconds);
}

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

const BY_JOB = "namespace, job, track";
const BY_POD = "namespace, pod, track";

function sel(matchers: Record<string, string>): string {
    return `{${Object.entries(matchers)
        .map(([k, v]) =>
            v.startsWith("=~") || v.startsWith("!=") || v.startsWith("!~") ? `${k}${v.slice(0, 2)}"${v.slice(2)}"` : `${k}="${v}"`,
        )
        .join(", ")}}`;
}

/** Ratio of `num` over `den` per group, 0 (not empty) when `num` has no series yet. */
function ratio(by: string, num: string, den: string): string {
    return `(sum by (${by}) (${num}) or 0 * sum by (${by}) (${den}))\n/\nsum by (${by}) (${den})`;
}

function quantile(q: number, bucket: string, ns: string): string {
    return `histogram_quantile(${q}, sum by (${BY_JOB}, le) (rate(${bucket}{namespace="${ns}"}[5m])))`;
}

/** Recording rules. Only the stable set carries them; they aggregate by `track` for both tracks. */
export function recordingGroups(p: Pick<RuleParams, "namespace" | "container" | "slo">): RuleGroup[] {
    const ns = p.namespace;
    const req = "kline_analytics_http_requests_total";
    const dur = "kline_analytics_http_requests_duration_seconds";
    const le = leLabel(p.slo.latency.thresholdSeconds);
    const slo: RecordingRule[] = [{ record: REC.httpRate, expr: `sum by (${BY_JOB}) (rate(${req}{namespace="${ns}"}[5m]))` }];
    for (const w of RATIO_WINDOWS) {
        slo.push({
            record: REC.errorRatio(w),
            expr: ratio(BY_JOB, `rate(${req}{namespace="${ns}", status=~"5.."}[${w}])`, `rate(${req}{namespace="${ns}"}[${w}])`),
        });
        slo.push({
            record: REC.slowRatio(w),
            expr: `1 - (\n  sum by (${BY_JOB}) (rate(${dur}_bucket{namespace="${ns}", le="${le}"}[${w}]))\n  /\n  sum by (${BY_JOB}) (rate(${dur}_count{namespace="${ns}"}[${w}]))\n)`,
        });
    }
    for (const [q, v] of [
        ["p50", 0.5],
        ["p95", 0.95],
        ["p99", 0.99],
    ] as const) {
        slo.push({ record: REC.httpQuantile(q), expr: quantile(v, `${dur}_bucket`, ns) });
    }

    const c = `namespace="${ns}", container="${p.container}"`;
    const gc = "kline_analytics_jvm_gc_pause_seconds";
    const resources: RecordingRule[] = [
        {
            // Pools without a maximum (G1 Eden/Survivor) report max = -1; only real maxima count.
            record: REC.heapRatio,
            expr: `sum by (${BY_POD}) (kline_analytics_jvm_memory_used_bytes{namespace="${ns}", area="heap"})\n/\nsum by (${BY_POD}) (kline_analytics_jvm_memory_max_bytes{namespace="${ns}", area="heap"} > 0)`,
        },
        {
            record: REC.gcAvgPause,
            expr: `sum by (${BY_POD}) (rate(${gc}_sum{namespace="${ns}"}[5m]))\n/\nsum by (${BY_POD}) (rate(${gc}_count{namespace="${ns}"}[5m]))`,
        },
        { record: REC.gcTimeShare, expr: `sum by (${BY_POD}) (rate(${gc}_sum{namespace="${ns}"}[5m]))` },
        {
            record: REC.cpuRatio,
            expr: `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{${c}}[5m]))\n/\nsum by (namespace, pod) (kube_pod_container_resource_limits{${c}, resource="cpu"})`,
        },
        {
            record: REC.memoryRatio,
            expr: `max by (namespace, pod) (container_memory_working_set_bytes{${c}})\n/\nsum by (namespace, pod) (kube_pod_container_resource_limits{${c}, resource="memory"})`,
        },
    ];

    const ocr = "kline_analytics_ocr_requests_total";
    const seg = "kline_analytics_segmentation_requests_total";
    const business: RecordingRule[] = [
        { record: REC.signalsRate, expr: `sum by (${BY_JOB}) (rate(kline_analytics_signals_generated_total{namespace="${ns}"}[5m]))` },
        { record: REC.ordersRate, expr: `sum by (${BY_JOB}) (rate(kline_analytics_orders_processed_total{namespace="${ns}"}[5m]))` },
        ...(
            [
                ["p50", 0.5],
                ["p95", 0.95],
                ["p99", 0.99],
            ] as const
        ).map(([q, v]) => ({
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
    return [
        { name: `${GROUP_PREFIX}.recording.http`, rules: slo },
        { name: `${GROUP_PREFIX}.recording.resources`, rules: resources },
        { name: `${GROUP_PREFIX}.recording.business`, rules: business },
    ];
}

/** Builds alerts with the labels and annotations every alert of one rule set shares. */
class AlertFactory {
    constructor(private readonly p: RuleParams) {}

    alert(a: {
        name: string;
        severity: Severity;
        expr: string;
        for?: string;
        labels?: Record<string, string>;
        summary: string;
        description: string;
    }): AlertingRule {
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

/** Matchers that pick one track's series of the app's own metrics (which carry `track`). */
function trackSel(p: RuleParams): Record<string, string> {
    return { namespace: p.namespace, track: p.track === "canary" ? "canary" : "!=canary" };
}

/** kube-state-metrics and cAdvisor have no `track`: the track's pods are picked by name. */
function podSel(p: RuleParams, extra: Record<string, string> = {}): string {
    return sel({ namespace: p.namespace, ...extra, pod: `=~${p.deployment}-[a-z0-9]+-[a-z0-9]+` });
}

function availabilityAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const ts = sel(trackSel(p));
    // `up` has target labels only (no `track`): each track's Service is its own scrape job.
    const up = sel({ namespace: p.namespace, job: p.job });
    const errorBudget = +(1 - p.slo.availability).toFixed(6);
    const latencyBudget = +(1 - p.slo.latency.objective).toFixed(6);
    const alerts = [
        f.alert({
            name: "KlineAnalyticsDown",
            severity: "critical",
            expr: `sum by (namespace, job) (up${up}) == 0\nor\nabsent(up${up})`,
            for: "2m",
            summary: "kline-analytics is down.",
            description:
                "No kline-analytics target of job {{ $labels.job }} in namespace {{ $labels.namespace }} has been scraped successfully for 2 minutes: the service is down or unreachable for Prometheus.",
        }),
        f.alert({
            name: "KlineAnalyticsHighErrorRate",
            severity: "warning",
            expr: `${REC.errorRatio("5m")}${ts} > ${t.errorRatio}`,
            for: "5m",
            summary: "kline-analytics answers many requests with 5xx.",
            description: `{{ $value | humanizePercentage }} of the HTTP requests to {{ $labels.job }} in {{ $labels.namespace }} failed with a 5xx status over the last 5 minutes (threshold ${pct(t.errorRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsHighResponseTime",
            severity: "warning",
            expr: `${REC.httpQuantile("p95")}${ts} > ${t.latencyP95Seconds}`,
            for: "10m",
            summary: "kline-analytics responds slowly.",
            description: `The 95th percentile HTTP response time of {{ $labels.job }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} (threshold ${t.latencyP95Seconds}s).`,
        }),
    ];
    if (p.track === "canary") return alerts;
    // Multiwindow, multi-burn-rate SLO alerts (SRE workbook ch. 5): a long window proves the burn is
    // significant, the short window (1/12 of it) ends the alert soon after the burn stops.
    for (const w of BURN_RATE_WINDOWS) {
        alerts.push(
            f.alert({
                name: "KlineAnalyticsAvailabilityBudgetBurn",
                severity: w.severity,
                expr: `${REC.errorRatio(w.long)}${ts} > (${w.factor} * ${errorBudget})\nand\n${REC.errorRatio(w.short)}${ts} > (${w.factor} * ${errorBudget})`,
                for: w.for,
                labels: { long_window: w.long, short_window: w.short },
                summary: "kline-analytics is burning its availability error budget too fast.",
                description: `{{ $labels.job }} in {{ $labels.namespace }} answered {{ $value | humanizePercentage }} of requests with 5xx over the last ${w.long} (and still over the last ${w.short}): ${w.factor}x the error budget of the ${pct(p.slo.availability)} availability objective.`,
            }),
        );
    }
    for (const w of BURN_RATE_WINDOWS) {
        alerts.push(
            f.alert({
                name: "KlineAnalyticsLatencyBudgetBurn",
                severity: w.severity,
                expr: `${REC.slowRatio(w.long)}${ts} > (${w.factor} * ${latencyBudget})\nand\n${REC.slowRatio(w.short)}${ts} > (${w.factor} * ${latencyBudget})`,
                for: w.for,
                labels: { long_window: w.long, short_window: w.short },
                summary: "kline-analytics is burning its latency error budget too fast.",
                description: `{{ $value | humanizePercentage }} of the requests to {{ $labels.job }} in {{ $labels.namespace }} took longer than ${p.slo.latency.thresholdSeconds}s over the last ${w.long} (and still over the last ${w.short}): ${w.factor}x the budget of the ${pct(p.slo.latency.objective)} latency objective.`,
            }),
        );
    }
    return alerts;
}

function workloadAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const c = { container: p.container };
    return [
        f.alert({
            name: "KlineAnalyticsPodCrashLooping",
            severity: "warning",
            expr: `max by (namespace, pod, container) (\n  max_over_time(kube_pod_container_status_waiting_reason${podSel(p, { ...c, reason: "CrashLoopBackOff" })}[5m])\n) >= 1`,
            for: "15m",
            summary: "A kline-analytics container is crash looping.",
            description:
                "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 15 minutes.",
        }),
        f.alert({
            name: "KlineAnalyticsPodRestarting",
            severity: "info",
            expr: `sum by (namespace, pod, container) (\n  increase(kube_pod_container_status_restarts_total${podSel(p, c)}[1h])\n) > ${t.restartsPerHour}`,
            summary: "A kline-analytics container restarts repeatedly.",
            description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last hour (threshold ${t.restartsPerHour}).`,
        }),
        f.alert({
            name: "KlineAnalyticsReplicasUnavailable",
            severity: "warning",
            expr: `(\n  max by (namespace, deployment) (kube_deployment_spec_replicas${sel({ namespace: p.namespace, deployment: p.deployment })})\n  -\n  max by (namespace, deployment) (kube_deployment_status_replicas_available${sel({ namespace: p.namespace, deployment: p.deployment })})\n) > 0`,
            for: "15m",
            summary: "kline-analytics runs with fewer replicas than desired.",
            description:
                "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had {{ $value }} of its desired replicas unavailable for 15 minutes.",
        }),
    ];
}

function resourceAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const ts = sel(trackSel(p));
    const pods = podSel(p);
    const cc = podSel(p, { container: p.container });
    return [
        f.alert({
            name: "KlineAnalyticsHighMemoryUsage",
            severity: "warning",
            expr: `${REC.heapRatio}${ts} > ${t.heapUsedRatio}`,
            for: "10m",
            summary: "kline-analytics uses most of its JVM heap.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its maximum JVM heap (threshold ${pct(t.heapUsedRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsHighCPUUsage",
            severity: "warning",
            expr: `${REC.cpuRatio}${pods} > ${t.cpuLimitRatio}`,
            for: "15m",
            summary: "kline-analytics uses most of its CPU limit.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU limit (threshold ${pct(t.cpuLimitRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsHighGCPause",
            severity: "warning",
            expr: `${REC.gcAvgPause}${ts} > ${t.gcAvgPauseSeconds}`,
            for: "10m",
            summary: "kline-analytics spends long pauses in garbage collection.",
            description: `The mean GC pause of pod {{ $labels.namespace }}/{{ $labels.pod }} is {{ $value | humanizeDuration }} over the last 5 minutes (threshold ${t.gcAvgPauseSeconds}s).`,
        }),
        f.alert({
            // Many moderate pauses add up: the mean pause can look fine while the JVM stands still
            // for a large share of the time (seconds of pause per second = share of wall time).
            name: "KlineAnalyticsHighGCTime",
            severity: "warning",
            expr: `${REC.gcTimeShare}${ts} > ${t.gcTimeRatio}`,
            for: "10m",
            summary: "kline-analytics spends much of its time in garbage collection.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} spent {{ $value | humanizePercentage }} of its time in GC pauses over the last 5 minutes (threshold ${pct(t.gcTimeRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsContainerMemoryNearLimit",
            severity: "warning",
            expr: `${REC.memoryRatio}${pods} > ${t.containerMemoryLimitRatio}`,
            for: "15m",
            summary: "kline-analytics is close to its container memory limit.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit (threshold ${pct(t.containerMemoryLimitRatio)}); the kernel OOM-kills it at 100%.`,
        }),
        f.alert({
            name: "KlineAnalyticsCPUThrottling",
            severity: "info",
            expr: `sum by (namespace, pod) (increase(container_cpu_cfs_throttled_periods_total${cc}[5m]))\n/\nsum by (namespace, pod) (increase(container_cpu_cfs_periods_total${cc}[5m]))\n> ${t.cpuThrottledRatio}`,
            for: "15m",
            summary: "kline-analytics is CPU throttled.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} was throttled in {{ $value | humanizePercentage }} of its CPU periods over the last 5 minutes (threshold ${pct(t.cpuThrottledRatio)}).`,
        }),
    ];
}

function businessAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const ts = sel(trackSel(p));
    const alerts: AlertingRule[] = [];
    // Signal and order volume follow the traffic share; the canary's share is too small to judge.
    if (p.track === "stable") {
        alerts.push(
            f.alert({
                name: "KlineAnalyticsLowSignalGeneration",
                severity: "warning",
                expr: `${REC.signalsRate}${ts} < ${t.minSignalsPerSecond}`,
                for: "15m",
                summary: "kline-analytics generates few trading signals.",
                description: `{{ $labels.job }} in {{ $labels.namespace }} generated {{ $value | printf "%.2f" }} signals per second over the last 5 minutes (minimum ${t.minSignalsPerSecond}/s).`,
            }),
            f.alert({
                name: "KlineAnalyticsNoOrdersProcessed",
                severity: "info",
                expr: `${REC.ordersRate}${ts} == 0`,
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
            expr: `${REC.engineQuantile("p95")}${ts} > ${t.orderProcessingP95Seconds}`,
            for: "10m",
            summary: "kline-analytics takes long to process orders.",
            description: `The 95th percentile time the matching engine of {{ $labels.job }} in {{ $labels.namespace }} takes per order is {{ $value | humanizeDuration }} (threshold ${t.orderProcessingP95Seconds}s).`,
        }),
        f.alert({
            name: "KlineAnalyticsMatchingEngineHighLatency",
            severity: "critical",
            expr: `${REC.engineQuantile("p99")}${ts} > ${t.matchingEngineP99Seconds}`,
            for: "5m",
            summary: "The kline-analytics matching engine is very slow.",
            description: `The 99th percentile matching-engine time of {{ $labels.job }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} (threshold ${t.matchingEngineP99Seconds}s): orders queue up.`,
        }),
        f.alert({
            name: "KlineAnalyticsOCRHighErrorRate",
            severity: "warning",
            expr: `${REC.ocrErrorRatio}${ts} > ${t.ocrErrorRatio}`,
            for: "10m",
            summary: "Many kline-analytics OCR requests fail.",
            description: `{{ $value | humanizePercentage }} of the OCR requests of {{ $labels.job }} in {{ $labels.namespace }} failed over the last 5 minutes (threshold ${pct(t.ocrErrorRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsSegmentationHighErrorRate",
            severity: "warning",
            expr: `${REC.segErrorRatio}${ts} > ${t.segmentationErrorRatio}`,
            for: "10m",
            summary: "Many kline-analytics chart segmentation requests fail.",
            description: `{{ $value | humanizePercentage }} of the segmentation requests of {{ $labels.job }} in {{ $labels.namespace }} failed over the last 5 minutes (threshold ${pct(t.segmentationErrorRatio)}).`,
        }),
    );
    return alerts;
}

function backupAlerts(p: RuleParams, f: AlertFactory, cronjob: string): AlertingRule[] {
    const t = p.thresholds;
    const cj = sel({ namespace: p.namespace, cronjob });
    const notSuspended = `unless on (namespace, cronjob)\nmax by (namespace, cronjob) (kube_cronjob_spec_suspend${cj}) > 0`;
    return [
        f.alert({
            name: "KlineAnalyticsBackupTooOld",
            severity: "warning",
            // A CronJob that never succeeded has no last-successful-time: its age counts from creation.
            expr: `(\n  time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time${cj})\n  or\n  (time() - max by (namespace, cronjob) (kube_cronjob_created${cj}))\n    unless on (namespace, cronjob) kube_cronjob_status_last_successful_time${cj}\n) > ${t.backupMaxAgeHours} * 3600`,
            for: "5m",
            summary: "No kline-analytics backup has succeeded recently.",
            description: `The last successful run of CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} was {{ $value | humanizeDuration }} ago (limit ${t.backupMaxAgeHours}h).`,
        }),
        f.alert({
            name: "KlineAnalyticsBackupJobFailed",
            severity: "warning",
            // kube_job_failed is the Job's Failed condition (retries exhausted or deadline passed);
            // kube_job_status_failed counts failed pods, which a Job that succeeded on a retry also has.
            expr: `max by (namespace, job_name) (kube_job_failed${sel({ namespace: p.namespace, condition: "true" })} > 0)\n* on (namespace, job_name) group_left (owner_name)\nmax by (namespace, job_name, owner_name) (kube_job_owner${sel({ namespace: p.namespace, owner_kind: "CronJob", owner_name: cronjob })})`,
            summary: "A kline-analytics backup job failed.",
            description:
                "Backup Job {{ $labels.namespace }}/{{ $labels.job_name }} of CronJob {{ $labels.owner_name }} failed. Delete the Job once the cause is fixed to clear this alert.",
        }),
        // Scheduling: the CronJob controller creates no Job at all, so nothing fails and nothing is
        // logged. A suspended CronJob is reported as such, not as a missed schedule.
        f.alert({
            name: "KlineAnalyticsBackupNotScheduled",
            severity: "warning",
            // A CronJob never scheduled has no last-schedule-time: its age counts from creation.
            expr: `(\n  (\n    time() - max by (namespace, cronjob) (kube_cronjob_status_last_schedule_time${cj})\n    or\n    (time() - max by (namespace, cronjob) (kube_cronjob_created${cj}))\n      unless on (namespace, cronjob) kube_cronjob_status_last_schedule_time${cj}\n  ) > ${t.backupMaxAgeHours} * 3600\n)\n${notSuspended}`,
            for: "5m",
            summary: "The kline-analytics backup CronJob has not been scheduled recently.",
            description: `CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} last scheduled a backup run {{ $value | humanizeDuration }} ago (limit ${t.backupMaxAgeHours}h) although it is not suspended.`,
        }),
        f.alert({
            name: "KlineAnalyticsBackupScheduleMissed",
            severity: "warning",
            // kube-state-metrics' next schedule time is the first slot after the last scheduled run.
            expr: `(\n  time() - max by (namespace, cronjob) (kube_cronjob_next_schedule_time${cj}) > ${t.backupScheduleLateHours} * 3600\n)\n${notSuspended}`,
            for: "5m",
            summary: "The kline-analytics backup CronJob missed its schedule.",
            description: `The next run of CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} was due {{ $value | humanizeDuration }} ago and has not been scheduled (limit ${t.backupScheduleLateHours}h).`,
        }),
        f.alert({
            name: "KlineAnalyticsBackupSuspended",
            severity: "warning",
            expr: `max by (namespace, cronjob) (kube_cronjob_spec_suspend${cj}) > 0`,
            for: "1h",
            summary: "The kline-analytics backup CronJob is suspended.",
            description:
                "CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has been suspended for over an hour: no backup runs until it is resumed.",
        }),
    ];
}

function pitrAlerts(p: RuleParams, f: AlertFactory, pitr: PitrRuleParams): AlertingRule[] {
    const db = { namespace: p.namespace, job: pitr.job };
    const d = sel(db);
    const incrLimit = pitr.incrementalEverySeconds + PITR_BACKUP_GRACE_SECONDS.incremental;
    const fullLimit = pitr.fullEverySeconds + PITR_BACKUP_GRACE_SECONDS.full;
    const last = "kline_pitr_backup_last_success_timestamp_seconds";
    return [
        f.alert({
            name: "KlineAnalyticsWalArchivingFailing",
            severity: "critical",
            // PostgreSQL retries a segment that fails to archive every minute: a rate that stays
            // above zero for 10 minutes is archiving that does not recover by itself.
            expr: `max by (namespace, job) (rate(pg_stat_archiver_failed_count${d}[5m])) > 0`,
            for: "10m",
            summary: "WAL archiving of the kline-analytics database fails.",
            description:
                "PostgreSQL in {{ $labels.namespace }} cannot archive WAL to the pgBackRest repository: no instant after the last archived segment can be restored, and WAL piles up on the database volume until it is full.",
        }),
        f.alert({
            name: "KlineAnalyticsWalArchivingLagging",
            severity: "warning",
            expr: `max by (namespace, job) (kline_pitr_wal_ready_segments${d}) > ${PITR_READY_SEGMENTS_MAX}`,
            for: "10m",
            summary: "WAL archiving of the kline-analytics database lags.",
            description: `{{ $value }} finished WAL segments in {{ $labels.namespace }} wait to be archived (more than ${PITR_READY_SEGMENTS_MAX} for 10 minutes): the newest restorable instant falls behind.`,
        }),
        f.alert({
            name: "KlineAnalyticsPitrBackupTooOld",
            severity: "warning",
            expr: `time() - max by (namespace, job) (${last}${d}) > ${incrLimit}`,
            for: "5m",
            summary: "No recent pgBackRest backup of the kline-analytics database.",
            description: `The newest pgBackRest backup in {{ $labels.namespace }} ended {{ $value | humanizeDuration }} ago; one is due every ${showDuration(pitr.incrementalEverySeconds)} (limit ${showDuration(incrLimit)}). Restores replay ever more WAL.`,
        }),
        f.alert({
            name: "KlineAnalyticsPitrFullBackupTooOld",
            severity: "warning",
            expr: `time() - max by (namespace, job) (${last}${sel({ ...db, type: "full" })}) > ${fullLimit}`,
            for: "5m",
            summary: "No recent full pgBackRest backup of the kline-analytics database.",
            description: `The newest full pgBackRest backup in {{ $labels.namespace }} ended {{ $value | humanizeDuration }} ago; one is due every ${showDuration(pitr.fullEverySeconds)} (limit ${showDuration(fullLimit)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsPitrVerifyFailed",
            severity: "critical",
            expr: `max by (namespace, job) (kline_pitr_verify_problems${d}) > 0`,
            summary: "pgBackRest found a bad file in the kline-analytics repository.",
            description:
                "The last `pgbackrest verify` in {{ $labels.namespace }} reported {{ $value }} missing or corrupt file(s): a restore that needs them fails. Take a new full backup and find the cause.",
        }),
        f.alert({
            name: "KlineAnalyticsPitrMetricsAbsent",
            severity: "warning",
            expr: `absent(kline_pitr_agent_last_round_timestamp_seconds${d})\nor\nabsent(pg_stat_archiver_archived_count${d})`,
            for: "15m",
            summary: "The kline-analytics database's backup metrics are missing.",
            description:
                "Prometheus has no pgBackRest agent or postgres_exporter series for the database in {{ $labels.namespace }}: the archiving and backup alerts cannot fire.",
        }),
    ];
}

function showDuration(seconds: number): string {
    return seconds % 86400 === 0 ? `${seconds / 86400}d` : seconds % 3600 === 0 ? `${seconds / 3600}h` : `${Math.round(seconds / 60)}m`;
}

function probeAlerts(p: RuleParams, f: AlertFactory, probeJob: string): AlertingRule[] {
    const t = p.thresholds;
    const ps = sel({ namespace: p.namespace, job: probeJob });
    const by = "namespace, job, instance";
    const expiry = (days: number) => `min by (${by}) (probe_ssl_earliest_cert_expiry${ps}) - time() < ${days} * 86400`;
    const certDescription = (days: number) =>
        `The TLS certificate served at {{ $labels.instance }} expires in {{ $value | humanizeDuration }} (threshold ${days} days).`;
    return [
        f.alert({
            name: "KlineAnalyticsProbeFailed",
            severity: "critical",
            expr: `max by (${by}) (probe_success${ps}) == 0`,
            for: "5m",
            summary: "kline-analytics' external health check fails.",
            description:
                "The blackbox probe of {{ $labels.instance }} has failed for 5 minutes: users cannot reach kline-analytics from outside.",
        }),
        f.alert({
            name: "KlineAnalyticsProbeSlow",
            severity: "warning",
            expr: `max by (${by}) (avg_over_time(probe_duration_seconds${ps}[5m])) > ${t.probeSlowSeconds}`,
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

/**
 * The alerting pipeline itself: Prometheus failing to evaluate (or skipping) this module's rule
 * groups, and Alertmanager failing to deliver. kube-prometheus-stack's default rules watch all
 * groups and integrations (PrometheusRuleFailures, PrometheusMissingRuleEvaluations,
 * AlertmanagerFailedToSendAlerts, AlertmanagerClusterFailedToSendAlerts); these add the groups
 * that carry kline-analytics' alerts, one alert per group or integration over all replicas, a
 * runbook, and for notifications a route through another integration (alertmanager.ts).
 */
function pipelineAlerts(f: AlertFactory, m: SelfMonitoring): AlertingRule[] {
    const prom = sel({ namespace: m.namespace, job: m.prometheusJob, rule_group: `=~.*;${GROUP_PREFIX}[.].*` });
    const am = sel({ namespace: m.namespace, job: m.alertmanagerJob });
    const byGroup = "namespace, job, rule_group";
    const byIntegration = "namespace, job, integration";
    return [
        f.alert({
            name: "KlineAnalyticsRuleEvaluationFailures",
            severity: "warning",
            // rule_group is `<rule file>;<group name>`; the chart's PrometheusRuleFailures pages for every group.
            expr: `max by (${byGroup}) (increase(prometheus_rule_evaluation_failures_total${prom}[5m])) > 0`,
            for: "10m",
            summary: "Prometheus fails to evaluate kline-analytics rules.",
            description:
                'Prometheus failed {{ $value | printf "%.0f" }} rule evaluations of group {{ $labels.rule_group }} in the last 5 minutes: the alerts of that group cannot fire and its recorded series have gaps.',
        }),
        f.alert({
            name: "KlineAnalyticsRuleGroupIterationsMissed",
            severity: "warning",
            expr: `max by (${byGroup}) (increase(prometheus_rule_group_iterations_missed_total${prom}[5m])) > 0`,
            for: "15m",
            summary: "Prometheus skips evaluations of kline-analytics rules.",
            description:
                'Prometheus skipped {{ $value | printf "%.0f" }} evaluations of rule group {{ $labels.rule_group }} in the last 5 minutes because the previous one was still running: its alerts and recorded series lag behind.',
        }),
        f.alert({
            name: NOTIFICATIONS_FAILING_ALERT,
            severity: "critical",
            // Summed over the Alertmanager replicas (one of them sends); failures carry a `reason`.
            expr: `sum by (${byIntegration}) (rate(alertmanager_notifications_failed_total${am}[5m]))\n/\nsum by (${byIntegration}) (rate(alertmanager_notifications_total${am}[5m]))\n> 0`,
            for: "10m",
            summary: "Alertmanager fails to deliver notifications.",
            description:
                "Alertmanager failed to deliver {{ $value | humanizePercentage }} of its {{ $labels.integration }} notifications over the last 5 minutes: the alerts routed there reach nobody. This alert is sent through another integration.",
        }),
    ];
}

function maintenanceAlert(p: RuleParams, f: AlertFactory): AlertingRule {
    // Always present so the switch is visible in Prometheus; `vector(0) > 0` never fires.
    return f.alert({
        name: MAINTENANCE_ALERT,
        severity: "info",
        expr: `vector(${p.maintenanceMode ? 1 : 0}) > 0`,
        labels: { namespace: p.namespace },
        summary: "kline-analytics is in maintenance mode.",
        description: `Maintenance mode is switched on for ${p.namespace} (stack config monitoring.maintenanceMode): Alertmanager holds back warning and info alerts of this namespace; critical alerts still page.`,
    });
}

/** Alert groups of one track. */
export function alertGroups(p: RuleParams): RuleGroup[] {
    const f = new AlertFactory(p);
    const prefix = `${GROUP_PREFIX}.${p.track}`;
    const groups: RuleGroup[] = [
        { name: `${prefix}.availability`, rules: availabilityAlerts(p, f) },
        { name: `${prefix}.workload`, rules: workloadAlerts(p, f) },
        { name: `${prefix}.resources`, rules: resourceAlerts(p, f) },
        { name: `${prefix}.business`, rules: businessAlerts(p, f) },
    ];
    if (p.track === "stable") {
        if (p.backupCronJob) groups.push({ name: `${prefix}.backup`, rules: backupAlerts(p, f, p.backupCronJob) });
        if (p.pitr) groups.push({ name: `${prefix}.pitr`, rules: pitrAlerts(p, f, p.pitr) });
        if (p.probeJob) groups.push({ name: `${prefix}.probe`, rules: probeAlerts(p, f, p.probeJob) });
        if (p.selfMonitoring) groups.push({ name: `${prefix}.pipeline`, rules: pipelineAlerts(f, p.selfMonitoring) });
        groups.push({ name: `${prefix}.maintenance`, rules: [maintenanceAlert(p, f)] });
    }
    return groups;
}

/**
 * Every rule group of a track's PrometheusRule: the stable set owns the recording rules (the
 * canary's alerts read the same recorded series, filtered by `track="canary"`).
 */
export function buildRuleGroups(p: RuleParams): RuleGroup[] {
    validateParams(p);
    return p.track === "stable" ? [...recordingGroups(p), ...alertGroups(p)] : alertGroups(p);
}

export function isAlert(r: Rule): r is AlertingRule {
    return (r as AlertingRule).alert !== undefined;
}

export function allAlerts(groups: RuleGroup[]): AlertingRule[] {
    return groups.flatMap((g) => g.rules.filter(isAlert));
}

function pct(ratio: number): string {
    return `${+(ratio * 100).toFixed(4)}%`;
}

function validateParams(p: RuleParams): void {
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
