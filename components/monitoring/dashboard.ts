// The kline-analytics Grafana dashboard as data. It reads the recorded series of
// rules/recordings.ts where they exist (cheap to query over long ranges) and raw exporter series
// elsewhere. Shipped as a ConfigMap labelled `grafana_dashboard: "1"`, which the chart's Grafana
// sidecar loads.
import { APP_NAME } from "../../contract/names";
import { REC } from "./rules";

export interface DashboardParams {
    /** Name of the app container (cAdvisor / kube-state-metrics `container` label). */
    container: string;
    backupCronJob: string;
    probeJob: string;
}

export interface Target {
    expr: string;
    legendFormat: string;
    refId: string;
}

export interface Panel {
    id: number;
    type: "timeseries" | "stat" | "row";
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource?: { type: "prometheus"; uid: string };
    targets?: Target[];
    fieldConfig?: { defaults: { unit?: string; min?: number; max?: number; decimals?: number }; overrides: unknown[] };
    options?: Record<string, unknown>;
    collapsed?: boolean;
    description?: string;
}

export interface Dashboard {
    uid: string;
    title: string;
    tags: string[];
    timezone: string;
    schemaVersion: number;
    editable: boolean;
    refresh: string;
    time: { from: string; to: string };
    templating: { list: Array<Record<string, unknown>> };
    panels: Panel[];
}

export const DASHBOARD_UID = APP_NAME;
export const DASHBOARD_FILE = "kline-analytics.json";

const DS = { type: "prometheus" as const, uid: "${datasource}" };
/** App series: the chosen namespace and tracks. */
const APP = 'namespace="$namespace", track=~"$track"';
const NS = 'namespace="$namespace"';

interface PanelSpec {
    title: string;
    unit: string;
    targets: Array<[expr: string, legend: string]>;
    description?: string;
    type?: "timeseries" | "stat";
    max?: number;
}

type Quantile = "p50" | "p95" | "p99";

/** p50, p95 and p99 of a recorded latency quantile of the chosen tracks: one line per quantile and track. */
function percentiles(series: (q: Quantile) => string): PanelSpec["targets"] {
    return (["p50", "p95", "p99"] as const).map((q) => [`${series(q)}{${APP}}`, `${q} {{track}}`]);
}

/** Per-second rate of an app counter of the chosen tracks: one line per value of `label`. */
function rateBy(label: string, counter: string): PanelSpec["targets"] {
    return [[`sum by (${label}) (rate(${counter}{${APP}}[$__rate_interval]))`, `{{${label}}}`]];
}

function panels(rows: Array<[title: string, specs: PanelSpec[]]>): Panel[] {
    const out: Panel[] = [];
    let id = 1;
    let y = 0;
    for (const [title, specs] of rows) {
        out.push({ id: id++, type: "row", title, gridPos: { x: 0, y: y++, w: 24, h: 1 }, collapsed: false });
        specs.forEach((s, i) => {
            const w = 8;
            out.push({
                id: id++,
                type: s.type ?? "timeseries",
                title: s.title,
                description: s.description,
                datasource: DS,
                gridPos: { x: (i % 3) * w, y: y + Math.floor(i / 3) * 8, w, h: 8 },
                targets: s.targets.map(([expr, legendFormat], k) => ({ expr, legendFormat, refId: String.fromCharCode(65 + k) })),
                fieldConfig: { defaults: { unit: s.unit, min: 0, ...(s.max !== undefined ? { max: s.max } : {}) }, overrides: [] },
                options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
            });
        });
        y += Math.ceil(specs.length / 3) * 8;
    }
    return out;
}

/** Every PromQL expression of a dashboard (panel targets and template-variable queries). */
export function dashboardQueries(d: Dashboard): Array<{ where: string; expr: string }> {
    const out: Array<{ where: string; expr: string }> = [];
    for (const p of d.panels) for (const t of p.targets ?? []) out.push({ where: `panel '${p.title}' ${t.refId}`, expr: t.expr });
    for (const v of d.templating.list) {
        const q = (v.query as { query?: string } | undefined)?.query;
        const m = q && /^label_values\((.*),\s*[a-zA-Z_]\w*\)$/.exec(q);
        if (m) out.push({ where: `variable '${v.name as string}'`, expr: m[1] });
    }
    return out;
}

export function buildDashboard(p: DashboardParams): Dashboard {
    const c = `${NS}, container="${p.container}"`;
    const rows: Array<[string, PanelSpec[]]> = [
        [
            "HTTP",
            [
                { title: "Request rate", unit: "reqps", targets: [[`sum by (track) (${REC.httpRate}{${APP}})`, "{{track}}"]] },
                { title: "Requests by status", unit: "reqps", targets: rateBy("status", "kline_analytics_http_requests_total") },
                { title: "Error ratio (5xx)", unit: "percentunit", targets: [[`${REC.errorRatio("5m")}{${APP}}`, "{{track}}"]] },
                { title: "Latency percentiles", unit: "s", targets: percentiles(REC.httpQuantile) },
                {
                    title: "Latency by endpoint (p95)",
                    unit: "s",
                    targets: [
                        [
                            `histogram_quantile(0.95, sum by (uri, le) (rate(kline_analytics_http_requests_duration_seconds_bucket{${APP}}[$__rate_interval])))`,
                            "{{uri}}",
                        ],
                    ],
                },
                {
                    title: "SLO burn (error and slow ratios, 1h / 1d)",
                    unit: "percentunit",
                    description: "Share of 5xx answers and of requests over the latency objective, over 1 hour and 1 day.",
                    targets: [
                        [`${REC.errorRatio("1h")}{${APP}}`, "errors 1h {{track}}"],
                        [`${REC.errorRatio("1d")}{${APP}}`, "errors 1d {{track}}"],
                        [`${REC.slowRatio("1h")}{${APP}}`, "slow 1h {{track}}"],
                        [`${REC.slowRatio("1d")}{${APP}}`, "slow 1d {{track}}"],
                    ],
                },
            ],
        ],
        [
            "JVM",
            [
                {
                    title: "Heap used / max",
                    unit: "bytes",
                    targets: [
                        [`sum by (pod) (kline_analytics_jvm_memory_used_bytes{${APP}, area="heap"})`, "used {{pod}}"],
                        [`sum by (pod) (kline_analytics_jvm_memory_max_bytes{${APP}, area="heap"} > 0)`, "max {{pod}}"],
                    ],
                },
                { title: "Heap used ratio", unit: "percentunit", max: 1, targets: [[`${REC.heapRatio}{${APP}}`, "{{pod}}"]] },
                {
                    title: "Memory pools",
                    unit: "bytes",
                    targets: [[`sum by (area, id) (kline_analytics_jvm_memory_used_bytes{${APP}})`, "{{area}} {{id}}"]],
                },
                { title: "Mean GC pause", unit: "s", targets: [[`${REC.gcAvgPause}{${APP}}`, "{{pod}}"]] },
                { title: "Time in GC", unit: "percentunit", targets: [[`${REC.gcTimeShare}{${APP}}`, "{{pod}}"]] },
                {
                    title: "GC pauses by cause",
                    unit: "ops",
                    targets: [
                        [
                            `sum by (action, cause) (rate(kline_analytics_jvm_gc_pause_seconds_count{${APP}}[$__rate_interval]))`,
                            "{{action}}: {{cause}}",
                        ],
                    ],
                },
            ],
        ],
        [
            "Resources",
            [
                {
                    title: "CPU usage",
                    unit: "cores",
                    targets: [
                        [`sum by (pod) (rate(container_cpu_usage_seconds_total{${c}}[$__rate_interval]))`, "{{pod}}"],
                        [`sum by (pod) (kube_pod_container_resource_limits{${c}, resource="cpu"})`, "limit {{pod}}"],
                    ],
                },
                { title: "CPU used of limit", unit: "percentunit", targets: [[`${REC.cpuRatio}{${NS}}`, "{{pod}}"]] },
                { title: "Memory working set of limit", unit: "percentunit", max: 1, targets: [[`${REC.memoryRatio}{${NS}}`, "{{pod}}"]] },
                {
                    title: "CPU throttling",
                    unit: "percentunit",
                    targets: [
                        [
                            `sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{${c}}[$__rate_interval])) / sum by (pod) (rate(container_cpu_cfs_periods_total{${c}}[$__rate_interval]))`,
                            "{{pod}}",
                        ],
                    ],
                },
                {
                    title: "Container restarts (1h)",
                    unit: "short",
                    targets: [[`sum by (pod) (increase(kube_pod_container_status_restarts_total{${c}}[1h]))`, "{{pod}}"]],
                },
                // `up` carries target labels only: the track shows in the job (kline-analytics[-canary]).
                { title: "Scrape targets up", unit: "short", targets: [[`sum by (job) (up{${NS}, job=~"kline-analytics.*"})`, "{{job}}"]] },
            ],
        ],
        [
            "Business",
            [
                { title: "Signals generated", unit: "ops", targets: [[`sum by (track) (${REC.signalsRate}{${APP}})`, "{{track}}"]] },
                { title: "Orders processed", unit: "ops", targets: [[`sum by (track) (${REC.ordersRate}{${APP}})`, "{{track}}"]] },
                { title: "Matching-engine latency", unit: "s", targets: percentiles(REC.engineQuantile) },
                { title: "OCR requests", unit: "reqps", targets: rateBy("outcome", "kline_analytics_ocr_requests_total") },
                { title: "OCR error ratio", unit: "percentunit", targets: [[`${REC.ocrErrorRatio}{${APP}}`, "{{track}}"]] },
                {
                    title: "Segmentation requests",
                    unit: "reqps",
                    targets: rateBy("outcome", "kline_analytics_segmentation_requests_total"),
                },
                { title: "Segmentation error ratio", unit: "percentunit", targets: [[`${REC.segErrorRatio}{${APP}}`, "{{track}}"]] },
            ],
        ],
        [
            "Backups and external checks",
            [
                {
                    title: "Time since last successful backup",
                    unit: "s",
                    type: "stat",
                    targets: [[`time() - max(kube_cronjob_status_last_successful_time{${NS}, cronjob="${p.backupCronJob}"})`, "age"]],
                },
                {
                    title: "Failed backup jobs",
                    unit: "short",
                    type: "stat",
                    targets: [
                        [
                            `sum(kube_job_failed{${NS}, condition="true"} * on (namespace, job_name) group_left () max by (namespace, job_name) (kube_job_owner{${NS}, owner_kind="CronJob", owner_name="${p.backupCronJob}"}))`,
                            "failed",
                        ],
                    ],
                },
                {
                    title: "External probe success",
                    unit: "percentunit",
                    targets: [[`avg_over_time(probe_success{${NS}, job="${p.probeJob}"}[$__rate_interval])`, "{{instance}}"]],
                },
                {
                    title: "External probe duration",
                    unit: "s",
                    targets: [[`probe_duration_seconds{${NS}, job="${p.probeJob}"}`, "{{instance}}"]],
                },
                {
                    title: "Certificate expires in",
                    unit: "s",
                    type: "stat",
                    targets: [[`min(probe_ssl_earliest_cert_expiry{${NS}, job="${p.probeJob}"}) - time()`, "expiry"]],
                },
            ],
        ],
    ];
    return {
        uid: DASHBOARD_UID,
        title: APP_NAME,
        tags: [APP_NAME, "jvm", "slo"],
        timezone: "utc",
        schemaVersion: 39,
        editable: false,
        refresh: "30s",
        time: { from: "now-6h", to: "now" },
        templating: {
            list: [
                {
                    name: "datasource",
                    label: "Data source",
                    type: "datasource",
                    query: "prometheus",
                    current: { text: "Prometheus", value: "prometheus" },
                },
                {
                    name: "namespace",
                    label: "Namespace",
                    type: "query",
                    datasource: DS,
                    query: { query: 'label_values(up{job=~"kline-analytics.*"}, namespace)', refId: "namespace" },
                    refresh: 2,
                },
                {
                    name: "track",
                    label: "Track",
                    type: "query",
                    datasource: DS,
                    query: { query: 'label_values(kline_analytics_http_requests_total{namespace="$namespace"}, track)', refId: "track" },
                    refresh: 2,
                    multi: true,
                    includeAll: true,
                    allValue: ".*",
                },
            ],
        },
        panels: panels(rows),
    };
}
