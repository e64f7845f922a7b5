// The metric names the monitoring code may use. The application's names are fixed by the
// observability contract agreed with the service team (docs/monitoring.md); everything else must
// come from a standard exporter that kube-prometheus-stack or the blackbox exporter installs.
// Rules and dashboard panels are checked against this list by tests/monitoring, so a typo or an
// invented metric fails the suite.

/** The ten application metrics of the observability contract, as the service exposes them. */
export const APP_METRICS = [
    "kline_analytics_http_requests_total",
    "kline_analytics_http_requests_duration_seconds",
    "kline_analytics_signals_generated_total",
    "kline_analytics_orders_processed_total",
    "kline_analytics_jvm_memory_used_bytes",
    "kline_analytics_jvm_memory_max_bytes",
    "kline_analytics_jvm_gc_pause_seconds",
    "kline_analytics_matching_engine_duration_seconds",
    "kline_analytics_segmentation_requests_total",
    "kline_analytics_ocr_requests_total",
] as const;

/** Labels Prometheus adds to every scraped series (the ServiceMonitor's target labels). */
export const TARGET_LABELS = ["namespace", "pod", "job", "service", "endpoint", "container", "instance"] as const;
/** Micrometer common tags the platform's Spring configuration adds to every meter (components/app/appconfig.ts). */
export const COMMON_TAGS = ["application", "environment", "track"] as const;

/**
 * How the service produces each contract metric with Micrometer's Prometheus registry: the meter
 * it registers, its kind and base unit (the registry turns `kline.analytics.http.requests.duration`,
 * a Timer, into `kline_analytics_http_requests_duration_seconds_*`), the tags it must carry (the
 * only labels rules and panels may select or group on, with the target labels and common tags), and
 * for the timers exported as histograms the bucket bounds in seconds, which the platform's Spring
 * configuration sets as SLO boundaries. `standard` is the Micrometer meter with the same values
 * under its stock name, which the service keeps exporting for stock JVM and Spring dashboards.
 * docs/monitoring.md documents this table; tests/monitoring/contract.test.ts holds rules, recordings,
 * the dashboard and the Spring configuration to it.
 */
export interface MetricContract {
    name: (typeof APP_METRICS)[number];
    meter: string;
    kind: "Counter" | "Timer" | "Gauge";
    baseUnit?: "seconds" | "bytes";
    /** Tags the service emits; `free: true` allows more (e.g. `strategy`), which rules only sum over. */
    labels: readonly string[];
    free?: boolean;
    /** Histogram bucket bounds (seconds) of a Timer exported with `_bucket` series. */
    buckets?: readonly number[];
    standard?: string;
}

const HTTP_TAGS = ["method", "uri", "status", "outcome"] as const;

export const METRIC_CONTRACT: readonly MetricContract[] = [
    {
        name: "kline_analytics_http_requests_total",
        meter: "kline.analytics.http.requests",
        kind: "Counter",
        labels: HTTP_TAGS,
        standard: "http.server.requests",
    },
    {
        name: "kline_analytics_http_requests_duration_seconds",
        meter: "kline.analytics.http.requests.duration",
        kind: "Timer",
        baseUnit: "seconds",
        labels: HTTP_TAGS,
        buckets: [0.1, 0.25, 0.5, 1, 2],
        standard: "http.server.requests",
    },
    {
        name: "kline_analytics_signals_generated_total",
        meter: "kline.analytics.signals.generated",
        kind: "Counter",
        labels: [],
        free: true,
    },
    { name: "kline_analytics_orders_processed_total", meter: "kline.analytics.orders.processed", kind: "Counter", labels: [], free: true },
    {
        name: "kline_analytics_jvm_memory_used_bytes",
        meter: "kline.analytics.jvm.memory.used",
        kind: "Gauge",
        baseUnit: "bytes",
        labels: ["area", "id"],
        standard: "jvm.memory.used",
    },
    {
        name: "kline_analytics_jvm_memory_max_bytes",
        meter: "kline.analytics.jvm.memory.max",
        kind: "Gauge",
        baseUnit: "bytes",
        labels: ["area", "id"],
        standard: "jvm.memory.max",
    },
    {
        name: "kline_analytics_jvm_gc_pause_seconds",
        meter: "kline.analytics.jvm.gc.pause",
        kind: "Timer",
        baseUnit: "seconds",
        labels: ["action", "cause", "gc"],
        standard: "jvm.gc.pause",
    },
    {
        name: "kline_analytics_matching_engine_duration_seconds",
        meter: "kline.analytics.matching.engine.duration",
        kind: "Timer",
        baseUnit: "seconds",
        labels: [],
        free: true,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5],
    },
    {
        name: "kline_analytics_segmentation_requests_total",
        meter: "kline.analytics.segmentation.requests",
        kind: "Counter",
        labels: ["outcome"],
    },
    { name: "kline_analytics_ocr_requests_total", meter: "kline.analytics.ocr.requests", kind: "Counter", labels: ["outcome"] },
];

/**
 * The Prometheus name Micrometer's Prometheus registry gives a meter (its naming convention:
 * dots to underscores, the base unit appended, `_total` on counters).
 */
export function prometheusName(m: Pick<MetricContract, "meter" | "kind" | "baseUnit">): string {
    let name = m.meter.replace(/\./g, "_");
    if (m.baseUnit && !name.endsWith(`_${m.baseUnit}`)) name += `_${m.baseUnit}`;
    if (m.kind === "Counter" && !name.endsWith("_total")) name += "_total";
    return name;
}

/** Bucket bounds as Spring's `management.metrics.distribution.slo` takes them (whole ms or s: 250ms, 1s). */
export function sloProperty(buckets: readonly number[]): string {
    return buckets.map((s) => (Number.isInteger(s) ? `${s}s` : `${Math.round(s * 1000)}ms`)).join(",");
}

/**
 * The series a contract metric is exposed as: a Timer as `_count`, `_sum` and `_max` (Micrometer's
 * rolling maximum), plus `_bucket` when it is a histogram; anything else under its own name.
 */
export function seriesOf(name: string): string[] {
    const c = METRIC_CONTRACT.find((m) => m.name === name);
    if (!c || c.kind !== "Timer") return [name];
    return [...(c.buckets ? ["_bucket"] : []), "_count", "_sum", "_max"].map((s) => name + s);
}

/** Standard exporters' metrics: Prometheus and Alertmanager themselves, kube-state-metrics, cAdvisor (kubelet), blackbox. */
export const STANDARD_METRICS = {
    prometheus: [
        "up",
        "scrape_duration_seconds",
        "prometheus_rule_evaluation_failures_total",
        "prometheus_rule_group_iterations_missed_total",
    ],
    alertmanager: ["alertmanager_notifications_total", "alertmanager_notifications_failed_total"],
    kubeStateMetrics: [
        "kube_pod_container_status_restarts_total",
        "kube_pod_container_status_waiting_reason",
        "kube_pod_container_resource_limits",
        "kube_pod_container_resource_requests",
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas_available",
        "kube_cronjob_status_last_successful_time",
        "kube_cronjob_status_last_schedule_time",
        "kube_cronjob_next_schedule_time",
        "kube_cronjob_spec_suspend",
        "kube_cronjob_created",
        "kube_job_status_failed",
        "kube_job_failed",
        "kube_job_owner",
    ],
    cadvisor: [
        "container_cpu_usage_seconds_total",
        "container_cpu_cfs_periods_total",
        "container_cpu_cfs_throttled_periods_total",
        "container_memory_working_set_bytes",
    ],
    blackbox: ["probe_success", "probe_duration_seconds", "probe_http_status_code", "probe_ssl_earliest_cert_expiry"],
} as const;

/** Every raw (scraped) series name the rules and dashboards may select. */
export function knownRawMetricNames(): Set<string> {
    const names = new Set<string>();
    for (const m of APP_METRICS) {
        for (const series of seriesOf(m)) names.add(series);
    }
    for (const group of Object.values(STANDARD_METRICS)) for (const m of group) names.add(m);
    return names;
}

/** The contract name a series belongs to (`..._seconds_bucket` -> `..._seconds`), or undefined. */
export function appMetricOf(series: string): string | undefined {
    for (const m of APP_METRICS) {
        if (seriesOf(m).includes(series)) return m;
    }
    return undefined;
}
