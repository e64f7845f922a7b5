// promtool unit-test scenarios: for every alert, a realistic failure of the healthy deployment
// (tests/monitoring/deployment.ts) and the exact alerts expected — labels and annotations written
// out. Scenarios on the canary's pods expect only the canary's alert (labelled track=canary); the
// production alert of the same name must stay silent, or promtool reports it as unexpected.
import {
    ALERTMANAGER_JOB,
    alertmanagerLabels,
    appLabels,
    BACKUP_CRONJOB,
    BACKUP_JOB,
    Buckets,
    cadvisorLabels,
    CANARY,
    CONTAINER,
    healthyWorld,
    HEALTHY_HTTP,
    ksmPodLabels,
    MONITORING_NS,
    NS,
    PROBE_URL,
    probeLabels,
    PROMETHEUS_JOB,
    prometheusLabels,
    RULE_GROUPS,
    RUNBOOK,
    setCpu,
    setEngine,
    setGc,
    setHeap,
    setHttp,
    setRequests,
    STABLE,
    Target,
    targetLabels,
} from "./deployment";
import { counterPhases, gauge, gaugePhases, Labels, startingAt, World } from "./world";

export interface ExpectedAlert {
    labels: Labels;
    annotations: { summary: string; description: string; runbook_url: string };
}

export interface Check {
    at: string;
    alertname: string;
    expect: ExpectedAlert[];
}

export interface Scenario {
    name: string;
    minutes: number;
    /** promtool's rule evaluation interval: "5m" by default, "10m" for the multi-hour timelines. */
    evaluationInterval: "5m" | "10m";
    build(): World;
    checks: Check[];
}

/** One failure: how it breaks the healthy deployment and which alerts it must raise. */
interface Part {
    name: string;
    minutes: number;
    mutate: (w: World) => void;
    checks: Check[];
    evaluationInterval?: "10m";
}

function expected(name: string, severity: string, t: Target, labels: Labels, summary: string, description: string): ExpectedAlert {
    const track: Labels = t.track === "canary" ? { track: "canary" } : {};
    return {
        labels: { severity, environment: t.environment, ...labels, ...track },
        annotations: { summary, description, runbook_url: `${RUNBOOK}#${name.toLowerCase()}` },
    };
}

/** A failure that `mutate` applies to the healthy deployment (series written for `w.minutes`). */
function scenario(name: string, minutes: number, mutate: (w: World) => void, checks: Check[], evaluationInterval?: "10m"): Part {
    return { name, minutes, mutate, checks, evaluationInterval };
}

/** One promtool test group: the healthy deployment with every part's failure applied. */
function combine(...parts: Part[]): Scenario {
    const minutes = Math.max(...parts.map((p) => p.minutes));
    return {
        name: parts.map((p) => p.name).join(" + "),
        minutes,
        evaluationInterval: parts.some((p) => p.evaluationInterval) ? "10m" : "5m",
        build: () => {
            const w = healthyWorld(minutes);
            for (const p of parts) p.mutate(w);
            return w;
        },
        checks: parts.flatMap((p) => p.checks),
    };
}

const at = (time: string, alertname: string, ...expect: ExpectedAlert[]): Check => ({ at: time, alertname, expect });
const jobLabels = (t: Target) => ({ namespace: NS, job: t.job, track: t.track });
const podLabels = (t: Target, i = 0) => ({ namespace: NS, pod: t.pods[i], container: CONTAINER });

// ---- alerts both tracks have: one scenario per track -----------------------------------------------

function trackScenarios(t: Target): Part[] {
    const who = `${t.track} ${t.job}`;
    const p0 = t.pods[0];
    return [
        scenario(
            `${who}: every pod stops answering scrapes at minute 10`,
            30,
            (w) =>
                t.pods.forEach((_, i) =>
                    w.set(
                        "up",
                        targetLabels(t, i),
                        gaugePhases([
                            [1, 10],
                            [0, w.minutes],
                        ]),
                    ),
                ),
            [
                at(
                    "20m",
                    "KlineAnalyticsDown",
                    expected(
                        "KlineAnalyticsDown",
                        "critical",
                        t,
                        { namespace: NS, job: t.job },
                        "kline-analytics is down.",
                        `No kline-analytics target of job ${t.job} in namespace ${NS} has been scraped successfully for 2 minutes: the service is down or unreachable for Prometheus.`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: 8% of requests answer 500`,
            30,
            (w) => t.pods.forEach((_, i) => setHttp(w, t, i, [{ until: w.minutes, errors: 576, buckets: HEALTHY_HTTP }])),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighErrorRate",
                    expected(
                        "KlineAnalyticsHighErrorRate",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics answers many requests with 5xx.",
                        `8% of the HTTP requests to ${t.job} in ${NS} failed with a 5xx status over the last 5 minutes (threshold 5%).`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: half of the requests take over a second (p95 2.35 s)`,
            30,
            (w) => {
                const slow: Buckets = { "0.05": 0.1, "0.1": 0.17, "0.25": 0.25, "0.5": 0.33, "1.0": 0.5, "2.5": 1, "+Inf": 1 };
                t.pods.forEach((_, i) => setHttp(w, t, i, [{ until: w.minutes, errors: 4, buckets: slow }]));
            },
            [
                at(
                    "25m",
                    "KlineAnalyticsHighResponseTime",
                    expected(
                        "KlineAnalyticsHighResponseTime",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics responds slowly.",
                        `The 95th percentile HTTP response time of ${t.job} in ${NS} is 2.35s (threshold 1s).`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: the first pod crash loops from minute 5 (restarts back off)`,
            40,
            (w) => {
                w.set(
                    "kube_pod_container_status_waiting_reason",
                    ksmPodLabels(t, 0, { reason: "CrashLoopBackOff" }),
                    startingAt(5, gauge(1, 35)),
                );
                w.set(
                    "kube_pod_container_status_restarts_total",
                    ksmPodLabels(t, 0),
                    gaugePhases([
                        [0, 4],
                        [1, 5],
                        [2, 7],
                        [3, 11],
                        [4, 19],
                        [5, 24],
                        [6, 29],
                        [7, 34],
                        [8, w.minutes],
                    ]),
                );
                w.set(
                    "up",
                    targetLabels(t, 0),
                    gaugePhases([
                        [1, 4],
                        [0, w.minutes],
                    ]),
                );
            },
            [
                at(
                    "30m",
                    "KlineAnalyticsPodCrashLooping",
                    expected(
                        "KlineAnalyticsPodCrashLooping",
                        "warning",
                        t,
                        podLabels(t),
                        "A kline-analytics container is crash looping.",
                        `Container ${CONTAINER} of pod ${NS}/${p0} has been in CrashLoopBackOff for 15 minutes.`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: the first pod restarts at minutes 20, 35 and 50`,
            60,
            (w) =>
                w.set(
                    "kube_pod_container_status_restarts_total",
                    ksmPodLabels(t, 0),
                    gaugePhases([
                        [0, 19],
                        [1, 34],
                        [2, 49],
                        [3, w.minutes],
                    ]),
                ),
            [
                at(
                    "55m",
                    "KlineAnalyticsPodRestarting",
                    expected(
                        "KlineAnalyticsPodRestarting",
                        "info",
                        t,
                        podLabels(t),
                        "A kline-analytics container restarts repeatedly.",
                        `Container ${CONTAINER} of pod ${NS}/${p0} restarted 3 times in the last hour (threshold 2).`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: one replica becomes unavailable at minute 10`,
            40,
            (w) => {
                const d = { namespace: NS, deployment: t.deployment, job: "kube-state-metrics", instance: "10.0.9.20:8080" };
                w.set(
                    "kube_deployment_status_replicas_available",
                    d,
                    gaugePhases([
                        [t.pods.length, 9],
                        [t.pods.length - 1, w.minutes],
                    ]),
                );
            },
            [
                at(
                    "30m",
                    "KlineAnalyticsReplicasUnavailable",
                    expected(
                        "KlineAnalyticsReplicasUnavailable",
                        "warning",
                        t,
                        { namespace: NS, deployment: t.deployment },
                        "kline-analytics runs with fewer replicas than desired.",
                        `Deployment ${NS}/${t.deployment} has had 1 of its desired replicas unavailable for 15 minutes.`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: the first pod's old generation fills the heap to 93.75%`,
            30,
            (w) => setHeap(w, t, 0, t.heapMaxMiB * 0.9375 - 220 * (t.heapMaxMiB / 2048)),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighMemoryUsage",
                    expected(
                        "KlineAnalyticsHighMemoryUsage",
                        "warning",
                        t,
                        { namespace: NS, pod: p0, track: t.track },
                        "kline-analytics uses most of its JVM heap.",
                        `Pod ${NS}/${p0} uses 93.75% of its maximum JVM heap (threshold 90%).`,
                    ),
                ),
            ],
        ),
        scenario(`${who}: the first pod burns 95% of its CPU limit`, 40, (w) => setCpu(w, t, 0, t.cpuLimitCores * 0.95), [
            at(
                "30m",
                "KlineAnalyticsHighCPUUsage",
                expected(
                    "KlineAnalyticsHighCPUUsage",
                    "warning",
                    t,
                    { namespace: NS, pod: p0 },
                    "kline-analytics uses most of its CPU limit.",
                    `Pod ${NS}/${p0} uses 95% of its CPU limit (threshold 90%).`,
                ),
            ),
        ]),
        scenario(`${who}: the first pod's GC pauses average 800 ms`, 30, (w) => setGc(w, t, 0, 2, 0.8), [
            at(
                "20m",
                "KlineAnalyticsHighGCPause",
                expected(
                    "KlineAnalyticsHighGCPause",
                    "warning",
                    t,
                    { namespace: NS, pod: p0, track: t.track },
                    "kline-analytics spends long pauses in garbage collection.",
                    `The mean GC pause of pod ${NS}/${p0} is 800ms over the last 5 minutes (threshold 0.5s).`,
                ),
            ),
        ]),
        scenario(
            `${who}: the first pod's working set reaches 97.5% of its memory limit`,
            40,
            (w) =>
                w.set("container_memory_working_set_bytes", cadvisorLabels(t, 0), gauge(Math.round(t.memoryLimitBytes * 0.975), w.minutes)),
            [
                at(
                    "30m",
                    "KlineAnalyticsContainerMemoryNearLimit",
                    expected(
                        "KlineAnalyticsContainerMemoryNearLimit",
                        "warning",
                        t,
                        { namespace: NS, pod: p0 },
                        "kline-analytics is close to its container memory limit.",
                        `Pod ${NS}/${p0} uses 97.5% of its memory limit (threshold 95%); the kernel OOM-kills it at 100%.`,
                    ),
                ),
            ],
        ),
        scenario(`${who}: the first pod is throttled in 30% of its CFS periods`, 40, (w) => setCpu(w, t, 0, t.cpuLimitCores * 0.6, 0.3), [
            at(
                "30m",
                "KlineAnalyticsCPUThrottling",
                expected(
                    "KlineAnalyticsCPUThrottling",
                    "info",
                    t,
                    { namespace: NS, pod: p0 },
                    "kline-analytics is CPU throttled.",
                    `Pod ${NS}/${p0} was throttled in 30% of its CPU periods over the last 5 minutes (threshold 25%).`,
                ),
            ),
        ]),
        scenario(
            `${who}: the matching engine's p95 rises to 450 ms`,
            30,
            (w) => {
                const slow: Buckets = {
                    "0.005": 0.08,
                    "0.01": 0.17,
                    "0.025": 0.25,
                    "0.05": 0.33,
                    "0.1": 0.5,
                    "0.25": 0.75,
                    "0.5": 1,
                    "1.0": 1,
                    "2.5": 1,
                    "+Inf": 1,
                };
                t.pods.forEach((_, i) => setEngine(w, t, i, slow));
            },
            [
                at(
                    "20m",
                    "KlineAnalyticsHighOrderProcessingTime",
                    expected(
                        "KlineAnalyticsHighOrderProcessingTime",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics takes long to process orders.",
                        `The 95th percentile time the matching engine of ${t.job} in ${NS} takes per order is 450ms (threshold 0.25s).`,
                    ),
                ),
            ],
        ),
        scenario(
            `${who}: the matching engine's p99 rises to 2.41 s`,
            30,
            (w) => {
                const stuck: Buckets = {
                    "0.005": 0.05,
                    "0.01": 0.1,
                    "0.025": 0.2,
                    "0.05": 0.3,
                    "0.1": 0.4,
                    "0.25": 0.6,
                    "0.5": 0.75,
                    "1.0": 0.8333,
                    "2.5": 1,
                    "+Inf": 1,
                };
                t.pods.forEach((_, i) => setEngine(w, t, i, stuck));
            },
            [
                at(
                    "15m",
                    "KlineAnalyticsMatchingEngineHighLatency",
                    expected(
                        "KlineAnalyticsMatchingEngineHighLatency",
                        "critical",
                        t,
                        jobLabels(t),
                        "The kline-analytics matching engine is very slow.",
                        `The 99th percentile matching-engine time of ${t.job} in ${NS} is 2.41s (threshold 1s): orders queue up.`,
                    ),
                ),
            ],
        ),
        scenario(`${who}: a quarter of the OCR requests fail`, 30, (w) => t.pods.forEach((_, i) => setRequests(w, "ocr", t, i, 45, 15)), [
            at(
                "20m",
                "KlineAnalyticsOCRHighErrorRate",
                expected(
                    "KlineAnalyticsOCRHighErrorRate",
                    "warning",
                    t,
                    jobLabels(t),
                    "Many kline-analytics OCR requests fail.",
                    `25% of the OCR requests of ${t.job} in ${NS} failed over the last 5 minutes (threshold 10%).`,
                ),
            ),
        ]),
        scenario(
            `${who}: a quarter of the segmentation requests fail`,
            30,
            (w) => t.pods.forEach((_, i) => setRequests(w, "segmentation", t, i, 90, 30)),
            [
                at(
                    "20m",
                    "KlineAnalyticsSegmentationHighErrorRate",
                    expected(
                        "KlineAnalyticsSegmentationHighErrorRate",
                        "warning",
                        t,
                        jobLabels(t),
                        "Many kline-analytics chart segmentation requests fail.",
                        `25% of the segmentation requests of ${t.job} in ${NS} failed over the last 5 minutes (threshold 10%).`,
                    ),
                ),
            ],
        ),
        // Last in the list, so the pairings of the scenarios above stay as they were.
        scenario(
            `${who}: the first pod pauses 60 times a minute for 150 ms each (15% of its time; the mean pause looks fine)`,
            30,
            (w) => setGc(w, t, 0, 60, 0.15),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighGCTime",
                    expected(
                        "KlineAnalyticsHighGCTime",
                        "warning",
                        t,
                        { namespace: NS, pod: p0, track: t.track },
                        "kline-analytics spends much of its time in garbage collection.",
                        `Pod ${NS}/${p0} spent 15% of its time in GC pauses over the last 5 minutes (threshold 10%).`,
                    ),
                ),
                at("20m", "KlineAnalyticsHighGCPause"),
            ],
        ),
    ];
}

// ---- SLO burn rates (stable only) --------------------------------------------------------------------

const SLOW_2PCT: Buckets = { "0.05": 0.7, "0.1": 0.83, "0.25": 0.95, "0.5": 0.98, "1.0": 0.995, "2.5": 1, "+Inf": 1 };
const SLOW_20PCT: Buckets = { "0.05": 0.4, "0.1": 0.55, "0.25": 0.7, "0.5": 0.8, "1.0": 0.95, "2.5": 1, "+Inf": 1 };

function burn(kind: "Availability" | "Latency", severity: string, long: string, short: string, value: string): ExpectedAlert {
    const name = `KlineAnalytics${kind}BudgetBurn`;
    const factor = { "1h": "14.4", "6h": "6", "1d": "3", "3d": "1" }[long];
    const labels = { ...jobLabels(STABLE), long_window: long, short_window: short };
    return kind === "Availability"
        ? expected(
              name,
              severity,
              STABLE,
              labels,
              "kline-analytics is burning its availability error budget too fast.",
              `${STABLE.job} in ${NS} answered ${value} of requests with 5xx over the last ${long} (and still over the last ${short}): ${factor}x the error budget of the 99.9% availability objective.`,
          )
        : expected(
              name,
              severity,
              STABLE,
              labels,
              "kline-analytics is burning its latency error budget too fast.",
              `${value} of the requests to ${STABLE.job} in ${NS} took longer than 0.5s over the last ${long} (and still over the last ${short}): ${factor}x the budget of the 99% latency objective.`,
          );
}

function sloScenarios(): Part[] {
    const traffic = (phases: Array<{ until: number; errors: number; buckets: Buckets }>) => (w: World) =>
        STABLE.pods.forEach((_, i) => setHttp(w, STABLE, i, phases));
    return [
        scenario(
            "stable: slow burn — 0.2% errors and 2% of requests over 0.5 s for 3.5 hours",
            215,
            traffic([{ until: 215, errors: 14.4, buckets: SLOW_2PCT }]),
            [
                at("210m", "KlineAnalyticsAvailabilityBudgetBurn", burn("Availability", "warning", "3d", "6h", "0.2%")),
                at("210m", "KlineAnalyticsLatencyBudgetBurn", burn("Latency", "warning", "3d", "6h", "2%")),
            ],
            "10m",
        ),
        scenario(
            "stable: fast burn — 5% errors and 20% of requests over 0.5 s: the 1h/5m page within minutes, 6h/30m after its 15m",
            35,
            traffic([{ until: 35, errors: 360, buckets: SLOW_20PCT }]),
            [
                at("10m", "KlineAnalyticsAvailabilityBudgetBurn", burn("Availability", "critical", "1h", "5m", "5%")),
                at("10m", "KlineAnalyticsLatencyBudgetBurn", burn("Latency", "critical", "1h", "5m", "20%")),
                at(
                    "30m",
                    "KlineAnalyticsAvailabilityBudgetBurn",
                    burn("Availability", "critical", "1h", "5m", "5%"),
                    burn("Availability", "critical", "6h", "30m", "5%"),
                ),
                at(
                    "30m",
                    "KlineAnalyticsLatencyBudgetBurn",
                    burn("Latency", "critical", "1h", "5m", "20%"),
                    burn("Latency", "critical", "6h", "30m", "20%"),
                ),
            ],
        ),
        // 205 minutes of fast burn, then 35 healthy minutes: the short windows (5m, 30m) are clean, so
        // the pages resolve at once although the 1h window is still over budget (2.1%); the slow-burn
        // tickets (1d/2h, 3d/6h) stay. Values over all 240 minutes: errors (205*360 + 35*4) / (240*7200)
        // = 4.279%; slow (205*5632*0.2 + 35*5988*0.002) / (205*5632 + 35*5988) = 16.96%.
        scenario(
            "stable: recovered burn — the pages clear with the short windows, the tickets stay",
            240,
            traffic([
                { until: 205, errors: 360, buckets: SLOW_20PCT },
                { until: 240, errors: 4, buckets: HEALTHY_HTTP },
            ]),
            [
                at(
                    "240m",
                    "KlineAnalyticsAvailabilityBudgetBurn",
                    burn("Availability", "warning", "1d", "2h", "4.279%"),
                    burn("Availability", "warning", "3d", "6h", "4.279%"),
                ),
                at(
                    "240m",
                    "KlineAnalyticsLatencyBudgetBurn",
                    burn("Latency", "warning", "1d", "2h", "16.96%"),
                    burn("Latency", "warning", "3d", "6h", "16.96%"),
                ),
            ],
            "10m",
        ),
    ];
}

// ---- production-only alerts -----------------------------------------------------------------------------

function productionScenarios(): Part[] {
    const t = STABLE;
    const backupTooOld = (age: string) =>
        expected(
            "KlineAnalyticsBackupTooOld",
            "warning",
            t,
            { namespace: NS, cronjob: BACKUP_CRONJOB },
            "No kline-analytics backup has succeeded recently.",
            `The last successful run of CronJob ${NS}/${BACKUP_CRONJOB} was ${age} ago (limit 26h).`,
        );
    const cj = { namespace: NS, cronjob: BACKUP_CRONJOB, job: "kube-state-metrics", instance: "10.0.9.20:8080" };
    const cronJobAlert = (name: string, summary: string, description: string) =>
        expected(name, "warning", t, { namespace: NS, cronjob: BACKUP_CRONJOB }, summary, description);
    const notScheduled = (age: string) =>
        cronJobAlert(
            "KlineAnalyticsBackupNotScheduled",
            "The kline-analytics backup CronJob has not been scheduled recently.",
            `CronJob ${NS}/${BACKUP_CRONJOB} last scheduled a backup run ${age} ago (limit 26h) although it is not suspended.`,
        );
    const scheduleMissed = (late: string) =>
        cronJobAlert(
            "KlineAnalyticsBackupScheduleMissed",
            "The kline-analytics backup CronJob missed its schedule.",
            `The next run of CronJob ${NS}/${BACKUP_CRONJOB} was due ${late} ago and has not been scheduled (limit 1h).`,
        );
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
    return [
        scenario("stable: no ServiceMonitor target at all (absent up)", 20, (w) => w.remove("up", { job: t.job }), [
            at(
                "10m",
                "KlineAnalyticsDown",
                expected(
                    "KlineAnalyticsDown",
                    "critical",
                    t,
                    { namespace: NS, job: t.job },
                    "kline-analytics is down.",
                    `No kline-analytics target of job ${t.job} in namespace ${NS} has been scraped successfully for 2 minutes: the service is down or unreachable for Prometheus.`,
                ),
            ),
        ]),
        scenario(
            "stable: signal generation drops to 0.5 per second from minute 5",
            40,
            (w) =>
                t.pods.forEach((_, i) =>
                    w.set(
                        "kline_analytics_signals_generated_total",
                        appLabels(t, i),
                        counterPhases([
                            [600, 5],
                            [10, w.minutes],
                        ]),
                    ),
                ),
            [
                at(
                    "35m",
                    "KlineAnalyticsLowSignalGeneration",
                    expected(
                        "KlineAnalyticsLowSignalGeneration",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics generates few trading signals.",
                        `${t.job} in ${NS} generated 0.50 signals per second over the last 5 minutes (minimum 1/s).`,
                    ),
                ),
            ],
        ),
        scenario(
            "stable: no order is processed from minute 5",
            50,
            (w) =>
                t.pods.forEach((_, i) =>
                    w.set(
                        "kline_analytics_orders_processed_total",
                        appLabels(t, i),
                        counterPhases([
                            [1200, 5],
                            [0, w.minutes],
                        ]),
                    ),
                ),
            [
                at(
                    "45m",
                    "KlineAnalyticsNoOrdersProcessed",
                    expected(
                        "KlineAnalyticsNoOrdersProcessed",
                        "info",
                        t,
                        jobLabels(t),
                        "kline-analytics has processed no orders for 30 minutes.",
                        `${t.job} in ${NS} has processed no orders for 30 minutes while it is being scraped.`,
                    ),
                ),
            ],
        ),
        scenario(
            "stable: the last backup succeeded 25 hours before the test began; the next run never succeeds",
            80,
            (w) =>
                w.set(
                    "kube_cronjob_status_last_successful_time",
                    { namespace: NS, cronjob: BACKUP_CRONJOB, job: "kube-state-metrics", instance: "10.0.9.20:8080" },
                    gauge(-25 * 3600, w.minutes),
                ),
            [at("75m", "KlineAnalyticsBackupTooOld", backupTooOld("1d 2h 15m 0s"))],
        ),
        scenario(
            "stable: the backup CronJob was created 26 hours ago and has never succeeded",
            30,
            (w) => {
                w.remove("kube_cronjob_status_last_successful_time");
                w.set(
                    "kube_cronjob_created",
                    { namespace: NS, cronjob: BACKUP_CRONJOB, job: "kube-state-metrics", instance: "10.0.9.20:8080" },
                    gauge(-26 * 3600, w.minutes),
                );
            },
            [at("20m", "KlineAnalyticsBackupTooOld", backupTooOld("1d 2h 20m 0s"))],
        ),
        scenario(
            "stable: a backup Job's first pod fails at minute 4 (a retry is pending: quiet), the Job fails at minute 10 (an unrelated failed Job stays quiet)",
            20,
            (w) => {
                const ksm = { job: "kube-state-metrics", instance: "10.0.9.20:8080" };
                w.set(
                    "kube_job_status_failed",
                    { namespace: NS, job_name: BACKUP_JOB, ...ksm },
                    gaugePhases([
                        [0, 3],
                        [1, 9],
                        [3, w.minutes],
                    ]),
                );
                w.set(
                    "kube_job_failed",
                    { namespace: NS, job_name: BACKUP_JOB, condition: "true", ...ksm },
                    gaugePhases([
                        [0, 9],
                        [1, w.minutes],
                    ]),
                );
                const other = { namespace: NS, job_name: "schema-migration-1", ...ksm };
                w.set(
                    "kube_job_owner",
                    { ...other, owner_kind: "<none>", owner_name: "<none>", owner_is_controller: "<none>" },
                    gauge(1, w.minutes),
                );
                w.set("kube_job_status_failed", other, gauge(1, w.minutes));
                w.set("kube_job_failed", { ...other, condition: "true" }, gauge(1, w.minutes));
            },
            [
                at("8m", "KlineAnalyticsBackupJobFailed"),
                at(
                    "15m",
                    "KlineAnalyticsBackupJobFailed",
                    expected(
                        "KlineAnalyticsBackupJobFailed",
                        "warning",
                        t,
                        { namespace: NS, job_name: BACKUP_JOB, owner_name: BACKUP_CRONJOB },
                        "A kline-analytics backup job failed.",
                        `Backup Job ${NS}/${BACKUP_JOB} of CronJob ${BACKUP_CRONJOB} failed. Delete the Job once the cause is fixed to clear this alert.`,
                    ),
                ),
            ],
        ),
        scenario(
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
        scenario(
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
        scenario(
            "stable: the served certificate expires in 10 days (warning only)",
            30,
            (w) => w.set("probe_ssl_earliest_cert_expiry", probeLabels, gauge(10 * 86400, w.minutes)),
            [at("20m", "KlineAnalyticsCertificateExpiry", cert("warning", "9d 23h 40m 0s", 14))],
        ),
        scenario(
            "stable: the served certificate expires in 2 days (critical and warning)",
            30,
            (w) => w.set("probe_ssl_earliest_cert_expiry", probeLabels, gauge(2 * 86400, w.minutes)),
            [at("20m", "KlineAnalyticsCertificateExpiry", cert("warning", "1d 23h 40m 0s", 14), cert("critical", "1d 23h 40m 0s", 3))],
        ),
        // ---- backup scheduling: the CronJob controller creates no Job, so nothing fails ----------
        scenario(
            "stable: the CronJob controller stops creating backup Jobs: the run due 30 minutes before the test never starts",
            50,
            (w) => {
                w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-88200, w.minutes)); // 24.5 hours before the test
                w.set("kube_cronjob_status_last_successful_time", cj, gauge(-87600, w.minutes));
                w.set("kube_cronjob_next_schedule_time", cj, gauge(-1800, w.minutes));
            },
            [
                at("30m", "KlineAnalyticsBackupScheduleMissed"), // exactly an hour late: not yet
                at("45m", "KlineAnalyticsBackupScheduleMissed", scheduleMissed("1h 15m 0s")),
                at("45m", "KlineAnalyticsBackupNotScheduled"), // 25h15m since the last run: within 26h
            ],
        ),
        scenario(
            "stable: the backup CronJob is suspended since yesterday's run, 25 hours before the test",
            80,
            (w) => {
                w.set("kube_cronjob_spec_suspend", cj, gauge(1, w.minutes));
                w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-90600, w.minutes));
                w.remove("kube_cronjob_next_schedule_time"); // kube-state-metrics drops it while suspended
            },
            [
                at("55m", "KlineAnalyticsBackupSuspended"),
                at(
                    "65m",
                    "KlineAnalyticsBackupSuspended",
                    cronJobAlert(
                        "KlineAnalyticsBackupSuspended",
                        "The kline-analytics backup CronJob is suspended.",
                        `CronJob ${NS}/${BACKUP_CRONJOB} has been suspended for over an hour: no backup runs until it is resumed.`,
                    ),
                ),
                // 26h15m since the last run, but suspended: reported as suspended only
                at("65m", "KlineAnalyticsBackupNotScheduled"),
                at("65m", "KlineAnalyticsBackupScheduleMissed"),
            ],
        ),
        scenario(
            "stable: the backup schedule was changed to weekly: last scheduled 25h40m before the test, the next run in 5 days",
            40,
            (w) => {
                w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-92400, w.minutes));
                w.set("kube_cronjob_next_schedule_time", cj, gauge(5 * 86400, w.minutes));
            },
            [
                at("20m", "KlineAnalyticsBackupNotScheduled"), // exactly 26h: not yet
                at("35m", "KlineAnalyticsBackupNotScheduled", notScheduled("1d 2h 15m 0s")),
                at("35m", "KlineAnalyticsBackupScheduleMissed"), // the next run is not due yet
            ],
        ),
        scenario(
            "stable: the backup CronJob was created 27 hours ago and has never been scheduled (its first run was due 4 hours ago)",
            30,
            (w) => {
                w.remove("kube_cronjob_status_last_schedule_time");
                w.remove("kube_cronjob_status_last_successful_time");
                w.set("kube_cronjob_created", cj, gauge(-27 * 3600, w.minutes));
                w.set("kube_cronjob_next_schedule_time", cj, gauge(-4 * 3600, w.minutes));
            },
            [
                at("20m", "KlineAnalyticsBackupNotScheduled", notScheduled("1d 3h 20m 0s")),
                at("20m", "KlineAnalyticsBackupScheduleMissed", scheduleMissed("4h 20m 0s")),
                at("20m", "KlineAnalyticsBackupTooOld", backupTooOld("1d 3h 20m 0s")),
            ],
        ),
    ];
}

// ---- the alerting pipeline (production's stack installs Prometheus and Alertmanager) ---------------

function pipelineScenarios(): Part[] {
    const t = STABLE;
    const notificationsFailing = (integration: string, share: string) =>
        expected(
            "KlineAnalyticsNotificationsFailing",
            "critical",
            t,
            { namespace: MONITORING_NS, job: ALERTMANAGER_JOB, integration },
            "Alertmanager fails to deliver notifications.",
            `Alertmanager failed to deliver ${share} of its ${integration} notifications over the last 5 minutes: the alerts routed there reach nobody. This alert is sent through another integration.`,
        );
    const am0 = alertmanagerLabels(0);
    const bothPrometheus = (w: World, metric: string, group: string, perMinute: number) => {
        for (const i of [0, 1]) {
            w.set(
                metric,
                { ...prometheusLabels(i), rule_group: group },
                counterPhases([
                    [0, 5],
                    [perMinute, w.minutes],
                ]),
            );
        }
    };
    return [
        scenario(
            "Slack rejects every notification from minute 5 (the webhook was revoked); one heartbeat fails at minute 10 (transient: no alert)",
            30,
            (w) => {
                w.set("alertmanager_notifications_total", { ...am0, integration: "slack" }, counterPhases([[2, w.minutes]]));
                w.set(
                    "alertmanager_notifications_failed_total",
                    { ...am0, integration: "slack", reason: "clientError" },
                    counterPhases([
                        [0, 5],
                        [2, w.minutes],
                    ]),
                );
                w.set(
                    "alertmanager_notifications_failed_total",
                    { ...am0, integration: "webhook", reason: "serverError" },
                    gaugePhases([
                        [0, 9],
                        [1, w.minutes],
                    ]),
                );
            },
            [
                at("15m", "KlineAnalyticsNotificationsFailing"), // pending: failing for 10 minutes first
                at("25m", "KlineAnalyticsNotificationsFailing", notificationsFailing("slack", "100%")),
            ],
        ),
        scenario(
            "PagerDuty answers one notification in three with a 5xx from minute 5",
            30,
            (w) => {
                w.set("alertmanager_notifications_total", { ...am0, integration: "pagerduty" }, counterPhases([[3, w.minutes]]));
                w.set(
                    "alertmanager_notifications_failed_total",
                    { ...am0, integration: "pagerduty", reason: "serverError" },
                    counterPhases([
                        [0, 5],
                        [1, w.minutes],
                    ]),
                );
            },
            [at("25m", "KlineAnalyticsNotificationsFailing", notificationsFailing("pagerduty", "33.33%"))],
        ),
        scenario(
            "both Prometheus replicas fail every evaluation of kline-analytics.stable.backup from minute 5 (a chart's group failing too is left to the chart's PrometheusRuleFailures)",
            30,
            (w) => {
                bothPrometheus(w, "prometheus_rule_evaluation_failures_total", RULE_GROUPS.stableBackup, 4);
                bothPrometheus(w, "prometheus_rule_evaluation_failures_total", RULE_GROUPS.chartApps, 4);
            },
            [
                at("15m", "KlineAnalyticsRuleEvaluationFailures"),
                at(
                    "25m",
                    "KlineAnalyticsRuleEvaluationFailures",
                    expected(
                        "KlineAnalyticsRuleEvaluationFailures",
                        "warning",
                        t,
                        { namespace: MONITORING_NS, job: PROMETHEUS_JOB, rule_group: RULE_GROUPS.stableBackup },
                        "Prometheus fails to evaluate kline-analytics rules.",
                        `Prometheus failed 20 rule evaluations of group ${RULE_GROUPS.stableBackup} in the last 5 minutes: the alerts of that group cannot fire and its recorded series have gaps.`,
                    ),
                ),
            ],
        ),
        scenario(
            "both Prometheus replicas skip every other iteration of kline-analytics.recording.http from minute 5 (it runs longer than the interval)",
            40,
            (w) => bothPrometheus(w, "prometheus_rule_group_iterations_missed_total", RULE_GROUPS.recordingHttp, 2),
            [
                at("20m", "KlineAnalyticsRuleGroupIterationsMissed"),
                at(
                    "30m",
                    "KlineAnalyticsRuleGroupIterationsMissed",
                    expected(
                        "KlineAnalyticsRuleGroupIterationsMissed",
                        "warning",
                        t,
                        { namespace: MONITORING_NS, job: PROMETHEUS_JOB, rule_group: RULE_GROUPS.recordingHttp },
                        "Prometheus skips evaluations of kline-analytics rules.",
                        `Prometheus skipped 10 evaluations of rule group ${RULE_GROUPS.recordingHttp} in the last 5 minutes because the previous one was still running: its alerts and recorded series lag behind.`,
                    ),
                ),
            ],
        ),
    ];
}

/**
 * Every fire scenario of the production rule set plus the canary rule set. Each stable failure
 * shares its test group with a different canary failure (two apart in the list, so no failure's
 * side effect — a crash loop's restarts, a stalled engine's p95 — lands on its partner's alert):
 * each check then proves both that its own track fires and that the other track's copy of the
 * alert stays silent.
 */
export function fireScenarios(): Scenario[] {
    const stable = trackScenarios(STABLE);
    const canary = trackScenarios(CANARY);
    const paired = stable.map((s, i) => combine(s, canary[(i + 2) % canary.length]));
    // Production-only failures touch disjoint series and raise no alert another one checks, so they
    // share groups: [absent targets, low signals, job failed, probe failed, cert 10 days, schedule
    // missed], [no orders, slow probe, backup 26h old, cert 2 days, CronJob suspended], [backup
    // never succeeded, schedule changed to weekly, PagerDuty failing], [CronJob never scheduled,
    // Slack failing, rule evaluation failures, missed rule iterations].
    const [
        absent,
        signals,
        orders,
        backupOld,
        backupNever,
        jobFailed,
        probeFailed,
        probeSlow,
        cert10,
        cert2,
        scheduleMissed,
        suspended,
        weekly,
        neverScheduled,
    ] = productionScenarios();
    const [slackFailing, pagerdutyFailing, ruleFailures, iterationsMissed] = pipelineScenarios();
    return [
        ...paired,
        ...sloScenarios().map((p) => combine(p)),
        combine(absent, signals, jobFailed, probeFailed, cert10, scheduleMissed),
        combine(orders, probeSlow, backupOld, cert2, suspended),
        combine(backupNever, weekly, pagerdutyFailing),
        combine(neverScheduled, slackFailing, ruleFailures, iterationsMissed),
    ];
}

/** The maintenance switch on: KlineAnalyticsMaintenanceMode fires at once (separate rules file). */
export function maintenanceScenario(): Scenario {
    return combine(
        scenario("maintenance mode switched on", 10, () => undefined, [
            at(
                "1m",
                "KlineAnalyticsMaintenanceMode",
                expected(
                    "KlineAnalyticsMaintenanceMode",
                    "info",
                    STABLE,
                    { namespace: NS },
                    "kline-analytics is in maintenance mode.",
                    `Maintenance mode is switched on for ${NS} (stack config monitoring.maintenanceMode): Alertmanager holds back warning and info alerts of this namespace; critical alerts still page.`,
                ),
            ),
        ]),
    );
}

/**
 * Healthy production with a healthy canary, checked for silence at these times: the last is past
 * the longest `for` (3h, the 3d/6h burn-rate alert).
 */
export const HEALTHY_CHECK_TIMES = ["10m", "30m", "2h", "4h"];
export const HEALTHY_MINUTES = 4 * 60;
