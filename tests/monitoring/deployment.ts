// The healthy production deployment the promtool scenarios start from: three stable pods and one
// canary pod in kline-analytics-production, as the exporters would show them, one sample a minute.
import { PROBE_JOB, RuleTarget } from "../../components/monitoring/params";
import { ENVIRONMENTS, namespaceFor } from "../../config/environments";
import { APP_NAME, BACKUP_CRONJOB_NAME } from "../../contract/names";
import { EnvironmentName } from "../../config/types";
import { counterPhases, gauge, Labels, World } from "./world";

export const NS = namespaceFor("production");
export const RUNBOOK = "https://runbooks.kline.test/docs/monitoring.md";
// The objects the exporters report on carry the names the contract gives them.
export const CONTAINER = APP_NAME;
export const BACKUP_CRONJOB = BACKUP_CRONJOB_NAME;
export { PROBE_JOB };
export const PROBE_URL = "https://kline.example.com/actuator/health/readiness";
/** kube-prometheus-stack's namespace and the scrape jobs of its Prometheus and Alertmanager. */
export const MONITORING_NS = "monitoring";
export const PROMETHEUS_JOB = "kube-prometheus-stack-prometheus";
export const ALERTMANAGER_JOB = "kube-prometheus-stack-alertmanager";
const MiB = 1048576;
const GiB = 1024 * MiB;

export interface Target {
    track: "stable" | "canary";
    environment: string;
    job: string;
    deployment: string;
    pods: string[];
    subnet: number;
    cpuLimitCores: number;
    memoryLimitBytes: number;
    heapMaxMiB: number;
}

export const STABLE: Target = {
    track: "stable",
    environment: "production",
    job: "kline-analytics",
    deployment: "kline-analytics",
    pods: ["kline-analytics-7d8f9c6b4-x2k9p", "kline-analytics-7d8f9c6b4-m4q7r", "kline-analytics-7d8f9c6b4-h8n3s"],
    subnet: 1,
    cpuLimitCores: 2,
    memoryLimitBytes: 4 * GiB,
    heapMaxMiB: 2048,
};

export const CANARY: Target = {
    track: "canary",
    environment: "canary",
    job: "kline-analytics-canary",
    deployment: "kline-analytics-canary",
    pods: ["kline-analytics-canary-5c9d8b7f6-z8w2n"],
    subnet: 2,
    cpuLimitCores: 1,
    memoryLimitBytes: 2 * GiB,
    heapMaxMiB: 1024,
};

/** What the production stack (stable) and the canary stack deploy their rules for. */
export function ruleTarget(t: Target, maintenanceMode = false): RuleTarget {
    return {
        environment: t.environment,
        namespace: NS,
        track: t.track,
        appName: t.deployment,
        runbookBaseUrl: RUNBOOK,
        backups: true,
        probe: true,
        monitoringNamespace: MONITORING_NS,
        maintenanceMode,
        thresholds: ENVIRONMENTS[t.environment as EnvironmentName].alerts,
    };
}

// ---- label sets as Prometheus attaches them -------------------------------------------------------

/** Labels Prometheus gives every series of the app's target (ServiceMonitor on port `management`). */
export function targetLabels(t: Target, i: number): Labels {
    return {
        namespace: NS,
        job: t.job,
        service: t.job,
        endpoint: "management",
        pod: t.pods[i],
        instance: `10.0.${t.subnet}.${11 + i}:8081`,
        container: CONTAINER,
    };
}

/** The app's own series: target labels plus Micrometer's common tags (management.metrics.tags). */
export function appLabels(t: Target, i: number): Labels {
    return { ...targetLabels(t, i), application: "kline-analytics", environment: t.environment, track: t.track };
}

const KSM = { job: "kube-state-metrics", instance: "10.0.9.20:8080" };

export function ksmPodLabels(t: Target, i: number, extra: Labels = {}): Labels {
    return { namespace: NS, pod: t.pods[i], container: CONTAINER, ...KSM, ...extra };
}

export function cadvisorLabels(t: Target, i: number): Labels {
    return {
        namespace: NS,
        pod: t.pods[i],
        container: CONTAINER,
        image: "registry.example.com/kline-analytics:1.4.2",
        job: "kubelet",
        metrics_path: "/metrics/cadvisor",
        node: `ip-10-0-0-${10 + i}.ec2.internal`,
        instance: `10.0.0.${10 + i}:10250`,
    };
}

export const probeLabels: Labels = { namespace: NS, job: PROBE_JOB, instance: PROBE_URL };

// ---- traffic --------------------------------------------------------------------------------------

export const HTTP_OK = { method: "GET", uri: "/api/v1/klines/{symbol}", status: "200", outcome: "SUCCESS" };
export const HTTP_ORDER = { method: "POST", uri: "/api/v1/orders", status: "201", outcome: "SUCCESS" };
export const HTTP_NOT_FOUND = { method: "GET", uri: "NOT_FOUND", status: "404", outcome: "CLIENT_ERROR" };
export const HTTP_ERROR = { method: "GET", uri: "/api/v1/klines/{symbol}", status: "500", outcome: "SERVER_ERROR" };

/** Share of the successful k-line requests at or below each bucket bound (`le`). */
export type Buckets = Record<string, number>;
export const HTTP_LE = ["0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf"];
export const HEALTHY_HTTP: Buckets = { "0.05": 0.7, "0.1": 0.83, "0.25": 0.95, "0.5": 0.998, "1.0": 1, "2.5": 1, "+Inf": 1 };

/** One traffic phase: until `until` (minute, inclusive), `errors` 5xx per minute per pod, latency shape. */
export interface TrafficPhase {
    until: number;
    errors: number;
    buckets: Buckets;
}

/**
 * HTTP series of one pod: 7200 requests a minute (120/s): k-line reads, order submissions, a few
 * 404s and `errors` 5xx; the k-line reads carry the latency histogram (Micrometer timer with
 * percentiles-histogram and the 0.5 s SLO bucket).
 */
export function setHttp(w: World, t: Target, i: number, phases: TrafficPhase[]): void {
    const l = appLabels(t, i);
    const ok = (p: TrafficPhase) => 7200 - 1200 - 8 - p.errors;
    const phase = (f: (p: TrafficPhase) => number) => counterPhases(phases.map((p) => [f(p), p.until]));
    w.set("kline_analytics_http_requests_total", { ...l, ...HTTP_OK }, phase(ok));
    w.set(
        "kline_analytics_http_requests_total",
        { ...l, ...HTTP_ORDER },
        phase(() => 1200),
    );
    w.set(
        "kline_analytics_http_requests_total",
        { ...l, ...HTTP_NOT_FOUND },
        phase(() => 8),
    );
    w.set(
        "kline_analytics_http_requests_total",
        { ...l, ...HTTP_ERROR },
        phase((p) => p.errors),
    );
    const h = "kline_analytics_http_requests_duration_seconds";
    for (const le of HTTP_LE)
        w.set(
            `${h}_bucket`,
            { ...l, ...HTTP_OK, le },
            phase((p) => ok(p) * p.buckets[le]),
        );
    w.set(`${h}_count`, { ...l, ...HTTP_OK }, phase(ok));
    w.set(
        `${h}_sum`,
        { ...l, ...HTTP_OK },
        phase((p) => ok(p) * 0.09),
    );
}

export const ENGINE_LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf"];
export const HEALTHY_ENGINE: Buckets = {
    "0.005": 0.5,
    "0.01": 0.8333,
    "0.025": 0.9583,
    "0.05": 0.9917,
    "0.1": 0.9983,
    "0.25": 1,
    "0.5": 1,
    "1.0": 1,
    "2.5": 1,
    "+Inf": 1,
};

/** Matching engine: 1200 orders a minute per pod through the engine timer. */
export function setEngine(w: World, t: Target, i: number, buckets: Buckets, perMinute = 1200): void {
    const l = appLabels(t, i);
    const h = "kline_analytics_matching_engine_duration_seconds";
    for (const le of ENGINE_LE) w.set(`${h}_bucket`, { ...l, le }, counterPhases([[perMinute * buckets[le], w.minutes]]));
    w.set(`${h}_count`, l, counterPhases([[perMinute, w.minutes]]));
    w.set(`${h}_sum`, l, counterPhases([[perMinute * 0.012, w.minutes]]));
}

/** JVM heap as Micrometer reports G1's pools (Eden and Survivor have no maximum: -1). */
export function setHeap(w: World, t: Target, i: number, oldGenMiB?: number): void {
    const l = appLabels(t, i);
    const m = w.minutes;
    const scale = t.heapMaxMiB / 2048;
    const used = "kline_analytics_jvm_memory_used_bytes";
    const max = "kline_analytics_jvm_memory_max_bytes";
    w.set(used, { ...l, area: "heap", id: "G1 Eden Space" }, gauge(200 * scale * MiB, m));
    w.set(used, { ...l, area: "heap", id: "G1 Old Gen" }, gauge((oldGenMiB ?? 600 * scale) * MiB, m));
    w.set(used, { ...l, area: "heap", id: "G1 Survivor Space" }, gauge(20 * scale * MiB, m));
    w.set(used, { ...l, area: "nonheap", id: "Metaspace" }, gauge(118 * MiB, m));
    w.set(max, { ...l, area: "heap", id: "G1 Eden Space" }, gauge(-1, m));
    w.set(max, { ...l, area: "heap", id: "G1 Old Gen" }, gauge(t.heapMaxMiB * MiB, m));
    w.set(max, { ...l, area: "heap", id: "G1 Survivor Space" }, gauge(-1, m));
    w.set(max, { ...l, area: "nonheap", id: "Metaspace" }, gauge(256 * MiB, m));
}

/** Young-generation G1 pauses: `count` per minute with a mean of `meanSeconds`. */
export function setGc(w: World, t: Target, i: number, count = 2, meanSeconds = 0.02): void {
    const l = { ...appLabels(t, i), action: "end of minor GC", cause: "G1 Evacuation Pause" };
    const g = "kline_analytics_jvm_gc_pause_seconds";
    w.set(`${g}_count`, l, counterPhases([[count, w.minutes]]));
    w.set(`${g}_sum`, l, counterPhases([[count * meanSeconds, w.minutes]]));
    w.set(`${g}_max`, l, gauge(meanSeconds * 1.5, w.minutes));
}

export function setRequests(w: World, name: "ocr" | "segmentation", t: Target, i: number, ok: number, errors: number): void {
    const metric = `kline_analytics_${name}_requests_total`;
    w.set(metric, { ...appLabels(t, i), outcome: "SUCCESS" }, counterPhases([[ok, w.minutes]]));
    w.set(metric, { ...appLabels(t, i), outcome: "ERROR" }, counterPhases([[errors, w.minutes]]));
}

/** CPU: `cores` busy of the pod's limit; `throttledShare` of the 100 ms CFS periods throttled. */
export function setCpu(w: World, t: Target, i: number, cores: number, throttledShare = 0.01): void {
    const c = cadvisorLabels(t, i);
    w.set("container_cpu_usage_seconds_total", c, counterPhases([[cores * 60, w.minutes]]));
    w.set("container_cpu_cfs_periods_total", c, counterPhases([[600, w.minutes]]));
    w.set("container_cpu_cfs_throttled_periods_total", c, counterPhases([[600 * throttledShare, w.minutes]]));
}

function setTarget(w: World, t: Target): void {
    const m = w.minutes;
    t.pods.forEach((_, i) => {
        const l = appLabels(t, i);
        w.set("up", targetLabels(t, i), gauge(1, m));
        setHttp(w, t, i, [{ until: m, errors: 4, buckets: HEALTHY_HTTP }]);
        setEngine(w, t, i, HEALTHY_ENGINE);
        setHeap(w, t, i);
        setGc(w, t, i);
        w.set("kline_analytics_signals_generated_total", l, counterPhases([[600, m]]));
        w.set("kline_analytics_orders_processed_total", l, counterPhases([[1200, m]]));
        setRequests(w, "ocr", t, i, 60, 1);
        setRequests(w, "segmentation", t, i, 120, 1);
        setCpu(w, t, i, t.cpuLimitCores / 4);
        w.set("container_memory_working_set_bytes", cadvisorLabels(t, i), gauge(t.memoryLimitBytes * 0.62, m));
        w.set("kube_pod_container_status_restarts_total", ksmPodLabels(t, i), gauge(0, m));
        w.set(
            "kube_pod_container_resource_limits",
            ksmPodLabels(t, i, { resource: "cpu", unit: "core", node: cadvisorLabels(t, i).node }),
            gauge(t.cpuLimitCores, m),
        );
        w.set(
            "kube_pod_container_resource_limits",
            ksmPodLabels(t, i, { resource: "memory", unit: "byte", node: cadvisorLabels(t, i).node }),
            gauge(t.memoryLimitBytes, m),
        );
    });
    const d = { namespace: NS, deployment: t.deployment, ...KSM };
    w.set("kube_deployment_spec_replicas", d, gauge(t.pods.length, m));
    w.set("kube_deployment_status_replicas_available", d, gauge(t.pods.length, m));
}

export const BACKUP_JOB = "kline-analytics-backup-28950120";

/** Namespace-wide objects of the production stack: the backup CronJob and the blackbox probe. */
function setNamespace(w: World): void {
    const m = w.minutes;
    const cj = { namespace: NS, cronjob: BACKUP_CRONJOB, ...KSM };
    w.set("kube_cronjob_created", cj, gauge(-30 * 86400, m)); // created a month ago
    w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-4200, m)); // last night's run started 70 minutes ago
    w.set("kube_cronjob_status_last_successful_time", cj, gauge(-3600, m)); // and succeeded an hour ago
    w.set("kube_cronjob_next_schedule_time", cj, gauge(-4200 + 86400, m)); // daily: the next run in 22h50m
    w.set("kube_cronjob_spec_suspend", cj, gauge(0, m));
    const job = { namespace: NS, job_name: BACKUP_JOB, ...KSM };
    w.set("kube_job_owner", { ...job, owner_kind: "CronJob", owner_name: BACKUP_CRONJOB, owner_is_controller: "true" }, gauge(1, m));
    w.set("kube_job_status_failed", job, gauge(0, m));
    w.set("kube_job_failed", { ...job, condition: "true" }, gauge(0, m));
    w.set("probe_success", probeLabels, gauge(1, m));
    w.set("probe_duration_seconds", probeLabels, gauge(0.18, m));
    w.set("probe_http_status_code", probeLabels, gauge(200, m));
    w.set("probe_ssl_earliest_cert_expiry", probeLabels, gauge(60 * 86400, m)); // 60 days left
}

// ---- the monitoring stack itself: Prometheus' rule evaluation, Alertmanager's notifications ---------

/** Labels of Prometheus' own series (the chart's ServiceMonitor), replica `i` of production's two. */
export function prometheusLabels(i: number): Labels {
    return {
        namespace: MONITORING_NS,
        job: PROMETHEUS_JOB,
        service: PROMETHEUS_JOB,
        endpoint: "http-web",
        pod: `prometheus-kube-prometheus-stack-prometheus-${i}`,
        container: "prometheus",
        instance: `10.0.3.${10 + i}:9090`,
    };
}

/** Labels of Alertmanager's own series, replica `i` of production's three. */
export function alertmanagerLabels(i: number): Labels {
    return {
        namespace: MONITORING_NS,
        job: ALERTMANAGER_JOB,
        service: ALERTMANAGER_JOB,
        endpoint: "http-web",
        pod: `alertmanager-kube-prometheus-stack-alertmanager-${i}`,
        container: "alertmanager",
        instance: `10.0.3.${20 + i}:9093`,
    };
}

const RULE_DIR = "/etc/prometheus/rules/prometheus-kube-prometheus-stack-prometheus-rulefiles-0";
/**
 * `rule_group` as Prometheus labels it: the file prometheus-operator writes for a PrometheusRule
 * (`<namespace>-<name>-<uid>.yaml`), `;`, the group's name.
 */
const ruleGroup = (ruleFile: string, group: string) => `${RULE_DIR}/${ruleFile};${group}`;
const STABLE_RULES = `${NS}-kline-analytics-3f1c2a9e-6b1d-4c59-9a57-1e0f4d2b8c71.yaml`;
const CANARY_RULES = `${NS}-kline-analytics-canary-5b0e7d3a-2c8f-4a61-8e2d-9c4b1f7a6e30.yaml`;
const CHART_RULES = "monitoring-kube-prometheus-stack-kubernetes-apps-8d2e5b1c-0a4f-4e7b-b1c9-5f3a2d6e9c04.yaml";
/** Rule groups the healthy Prometheus reports: some of ours (stable and canary) and one of the chart's. */
export const RULE_GROUPS = {
    recordingHttp: ruleGroup(STABLE_RULES, "kline-analytics.recording.http"),
    stableBackup: ruleGroup(STABLE_RULES, "kline-analytics.stable.backup"),
    canaryAvailability: ruleGroup(CANARY_RULES, "kline-analytics.canary.availability"),
    chartApps: ruleGroup(CHART_RULES, "kubernetes-apps"),
};
export const INTEGRATIONS = ["pagerduty", "slack", "webhook"];
/** Alertmanager 0.26+ labels failed notifications with one of these reasons. */
export const FAILURE_REASONS = ["clientError", "serverError", "contextCanceled", "contextDeadlineExceeded", "other"];

/**
 * Alertmanager's notifications: per integration and minute, on the replica that sends (the first
 * of the cluster; the others only count zeros). Healthy: the Watchdog heartbeat every minute,
 * a warning to Slack now and then, nothing paged.
 */
export const HEALTHY_NOTIFICATIONS: Record<string, number> = { pagerduty: 0, slack: 0.2, webhook: 1 };

function setMonitoringStack(w: World): void {
    const m = w.minutes;
    for (const i of [0, 1]) {
        for (const group of Object.values(RULE_GROUPS)) {
            w.set("prometheus_rule_evaluation_failures_total", { ...prometheusLabels(i), rule_group: group }, gauge(0, m));
            w.set("prometheus_rule_group_iterations_missed_total", { ...prometheusLabels(i), rule_group: group }, gauge(0, m));
        }
    }
    for (const i of [0, 1, 2]) {
        for (const integration of INTEGRATIONS) {
            const perMinute = i === 0 ? HEALTHY_NOTIFICATIONS[integration] : 0;
            w.set("alertmanager_notifications_total", { ...alertmanagerLabels(i), integration }, counterPhases([[perMinute, m]]));
            for (const reason of FAILURE_REASONS) {
                w.set("alertmanager_notifications_failed_total", { ...alertmanagerLabels(i), integration, reason }, gauge(0, m));
            }
        }
    }
}

/** Production's namespace while a canary runs, and the monitoring stack: everything healthy. */
export function healthyWorld(minutes: number): World {
    const w = new World(minutes);
    setTarget(w, STABLE);
    setTarget(w, CANARY);
    setNamespace(w);
    setMonitoringStack(w);
    return w;
}
