// The monitoring part of the configuration: the pinned charts, the sizes from the environment
// matrix (config/environments.ts), and the parser that turns the stack's keys into
// MonitoringConfig. Called by config/index.ts with its Reader, so problems land in the same
// ConfigError.
import { Environment, podResources as res } from "./environments";
import { parseMuteWindows } from "./mute-windows";
import type { Reader } from "./reader";
import { HelmChartRef, MonitoringConfig } from "./types";
import { MAX_VOLUME_BYTES, checkDestinationUrl, checkDnsLabel, Parsed, parseDuration, parseMemory, showBytes } from "./validate";

export const KUBE_PROMETHEUS_STACK_CHART: HelmChartRef = {
    name: "kube-prometheus-stack",
    // renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
    version: "88.5.3",
    repo: "https://prometheus-community.github.io/helm-charts",
};
export const BLACKBOX_EXPORTER_CHART: HelmChartRef = {
    name: "prometheus-blackbox-exporter",
    // renovate: datasource=helm depName=prometheus-blackbox-exporter registryUrl=https://prometheus-community.github.io/helm-charts
    version: "11.17.2",
    repo: "https://prometheus-community.github.io/helm-charts",
};

/** The namespace of kube-prometheus-stack and the blackbox exporter, and node-exporter's (Pod Security privileged). */
export const MONITORING_NAMESPACE = "monitoring";
export const NODE_EXPORTER_NAMESPACE = "monitoring-node-exporter";

/** Where the runbooks live: docs/monitoring.md of this repository (each alert appends its #anchor). */
export const DEFAULT_RUNBOOK_BASE_URL = "https://github.com/stocksanalyses/kline-ops/blob/main/docs/monitoring.md";

/** Longest Prometheus retention: local storage is for recent data (a year), not an archive. */
export const MAX_PROMETHEUS_RETENTION_DAYS = 365;

/** Prometheus retention: whole days or hours, from 1 day to 365 days. */
export function parseRetention(value: string): Parsed<number> {
    const p = parseDuration(value);
    if (!p.ok) return p;
    if (/m$/.test(value.trim())) return { ok: false, reason: `a retention in hours or days such as "15d" is expected` };
    if (p.value < 86400) return { ok: false, reason: "a retention of at least 1 day is expected" };
    if (p.value > MAX_PROMETHEUS_RETENTION_DAYS * 86400) {
        return { ok: false, reason: `a retention of at most ${MAX_PROMETHEUS_RETENTION_DAYS}d is expected` };
    }
    return p;
}

/** A Slack channel name such as #kline-alerts (also checked by the Alertmanager config builder for exported files). */
export function checkSlackChannel(v: string): string | undefined {
    return /^#[a-z0-9][a-z0-9._-]*$/.test(v) ? undefined : "a Slack channel such as #kline-alerts is expected";
}

export function readMonitoringConfig(
    r: Reader,
    env: Environment,
    ingressHost: string,
    checkScrapeInterval: (v: string) => string | undefined,
): MonitoringConfig {
    const d = env.monitoring;
    const base: MonitoringConfig = {
        namespace: MONITORING_NAMESPACE,
        scrapeInterval: r.string("scrapeInterval", env.app.scrapeInterval, checkScrapeInterval),
        maintenanceMode: r.boolean("maintenanceMode"),
        pagerdutyRoutingKey: r.secret("pagerdutyRoutingKey"),
        slackWebhookUrl: r.secret("slackWebhookUrl"),
        heartbeatUrl: r.secret("heartbeatUrl"),
        runbookBaseUrl: r.string("runbookBaseUrl", undefined, (v) =>
            /^https:\/\/[^\s#]+$/.test(v) ? undefined : "an https:// URL without '#' is expected (each alert appends its own anchor)",
        ),
        probeUrl: r.string("probeUrl", `https://${ingressHost}/readyz`, checkDestinationUrl),
        thresholds: env.alerts,
    };
    if (d === undefined) return base;

    const prometheusReplicas = r.integer("prometheusReplicas", d.prometheusReplicas);
    const retention = r.parsed("prometheusRetention", d.prometheusRetention, parseRetention);
    const storage = r.parsed("prometheusStorage", d.prometheusStorage, (v) => {
        const p = parseMemory(v);
        if (p.ok && p.value < 2 * 1024 ** 3) return { ok: false, reason: "at least 2Gi is expected" };
        return p.ok && p.value > MAX_VOLUME_BYTES ? { ok: false, reason: `at most ${showBytes(MAX_VOLUME_BYTES)} is expected` } : p;
    });
    const storageClass = r.string("prometheusStorageClass", "", (v) => (v === "" ? undefined : checkDnsLabel(v)));
    const alertmanagerReplicas = r.integer("alertmanagerReplicas", d.alertmanagerReplicas);
    const slackChannel = r.string("slackChannel", undefined, checkSlackChannel);
    const canarySlackChannel = r.string("canarySlackChannel", undefined, checkSlackChannel);
    const muteWindows = r.parsed("muteWindows", undefined, parseMuteWindows);

    return {
        ...base,
        install: {
            kubePrometheusStack: { ...KUBE_PROMETHEUS_STACK_CHART },
            blackboxExporter: { ...BLACKBOX_EXPORTER_CHART },
            blackboxReplicas: d.blackboxReplicas,
            nodeExporterNamespace: NODE_EXPORTER_NAMESPACE,
            prometheus: {
                replicas: prometheusReplicas,
                retention: retention.text,
                // Size-based retention keeps 15% of the volume free: the TSDB never fills its disk.
                retentionSize: storage.value !== undefined ? prometheusRetentionSize(storage.value) : "",
                storage: storage.text,
                storageClass: storageClass === "" ? undefined : storageClass,
                resources: d.prometheusResources,
            },
            alertmanager: {
                replicas: alertmanagerReplicas,
                retention: "120h",
                storage: d.alertmanagerStorage,
                resources: res("50m", "128Mi", "500m", "256Mi"),
            },
            grafana: { resources: res("100m", "256Mi", "1", "512Mi") },
            podAntiAffinity: d.podAntiAffinity,
            slackChannel,
            canarySlackChannel,
            muteWindows: muteWindows.value ?? [],
            receiversRequired: d.receiversRequired,
        },
    };
}

/** 85% of the volume in Prometheus' size unit (GB/MB, powers of 1024 as the TSDB counts them). */
export function prometheusRetentionSize(storageBytes: number): string {
    const mb = Math.floor((storageBytes * 0.85) / 1024 ** 2);
    return mb >= 1024 ? `${Math.floor(mb / 1024)}GB` : `${mb}MB`;
}
