// The metric names the monitoring code may use. The application's names are fixed by the
// observability contract (shared/DESIGN.md); everything else must come from a standard exporter
// that kube-prometheus-stack or the blackbox exporter installs. Rules and dashboard panels are
// checked against this list by tests/monitoring, so a typo or an invented metric fails the suite.

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

/**
 * Histograms and summaries (Micrometer timers) are exposed as several series with suffixes; the
 * contract names the base. `_max` is Micrometer's rolling maximum gauge.
 */
export const TIMER_METRICS: readonly string[] = [
    "kline_analytics_http_requests_duration_seconds",
    "kline_analytics_jvm_gc_pause_seconds",
    "kline_analytics_matching_engine_duration_seconds",
];
const TIMER_SUFFIXES = ["_bucket", "_count", "_sum", "_max"];

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
        if (TIMER_METRICS.includes(m)) for (const s of TIMER_SUFFIXES) names.add(m + s);
        else names.add(m);
    }
    for (const group of Object.values(STANDARD_METRICS)) for (const m of group) names.add(m);
    return names;
}

/** The contract name a series belongs to (`..._seconds_bucket` -> `..._seconds`), or undefined. */
export function appMetricOf(series: string): string | undefined {
    for (const m of APP_METRICS) {
        if (series === m) return m;
        if (TIMER_METRICS.includes(m) && TIMER_SUFFIXES.some((s) => series === m + s)) return m;
    }
    return undefined;
}
