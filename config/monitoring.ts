// The monitoring part of the configuration: what each environment's monitoring stack runs (the
// matrix below), the pinned charts, and the parser that turns the stack's keys into
// MonitoringConfig. Called by config/index.ts with its Reader, so problems land in the same
// ConfigError.
import * as pulumi from "@pulumi/pulumi";
import { muteWindowProblems } from "../components/monitoring/alertmanager";
import { EnvironmentName, HelmChartRef, MonitoringConfig, MuteWindowConfig, PodResources } from "./types";
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

export interface MonitoringDefaults {
    /** false: this stack installs no monitoring (the canary uses production's). */
    install: boolean;
    prometheusReplicas: number;
    prometheusRetention: string;
    prometheusStorage: string;
    prometheusResources: PodResources;
    alertmanagerReplicas: number;
    alertmanagerStorage: string;
    podAntiAffinity: "soft" | "hard";
    /** Whether the pager and chat secrets must be set (development may run without receivers). */
    receiversRequired: boolean;
}

const res = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): PodResources => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

export const MONITORING_ENVIRONMENTS: Record<EnvironmentName, MonitoringDefaults> = {
    development: {
        install: true,
        prometheusReplicas: 1,
        prometheusRetention: "3d",
        prometheusStorage: "10Gi",
        prometheusResources: res("250m", "1Gi", "1", "2Gi"),
        alertmanagerReplicas: 1,
        alertmanagerStorage: "1Gi",
        podAntiAffinity: "soft",
        receiversRequired: false,
    },
    staging: {
        install: true,
        prometheusReplicas: 1,
        prometheusRetention: "7d",
        prometheusStorage: "50Gi",
        prometheusResources: res("500m", "2Gi", "2", "4Gi"),
        alertmanagerReplicas: 1,
        alertmanagerStorage: "2Gi",
        podAntiAffinity: "soft",
        receiversRequired: true,
    },
    // Two Prometheus replicas scrape the same targets (Alertmanager deduplicates their alerts);
    // three Alertmanagers keep a gossip quorum through the loss of a node.
    production: {
        install: true,
        prometheusReplicas: 2,
        prometheusRetention: "15d",
        prometheusStorage: "200Gi",
        prometheusResources: res("1", "4Gi", "4", "8Gi"),
        alertmanagerReplicas: 3,
        alertmanagerStorage: "5Gi",
        podAntiAffinity: "hard",
        receiversRequired: true,
    },
    // The canary runs in production's namespace and cluster: production's monitoring scrapes it.
    canary: {
        install: false,
        prometheusReplicas: 0,
        prometheusRetention: "",
        prometheusStorage: "",
        prometheusResources: res("0", "0", "0", "0"),
        alertmanagerReplicas: 0,
        alertmanagerStorage: "",
        podAntiAffinity: "soft",
        receiversRequired: false,
    },
};

export interface MonitoringConfigReader {
    readonly problems: string[];
    raw(key: string): string | undefined;
    string(key: string, fallback: string, check?: (v: string) => string | undefined): string;
    integer(key: string, fallback: number, min: number, max?: number, unit?: string): number;
    boolean(key: string, fallback: boolean): boolean;
    parsed<T>(key: string, fallback: string, parse: (v: string) => Parsed<T>): { text: string; value?: T };
    secret(key: string): pulumi.Output<string> | undefined;
}

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

/** The muteWindows key: a JSON array of windows (Pulumi.yaml cannot declare objects). */
export function parseMuteWindows(value: string): Parsed<MuteWindowConfig[]> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch (err) {
        return { ok: false, reason: `a JSON array is expected (${(err as Error).message})` };
    }
    if (!Array.isArray(parsed)) return { ok: false, reason: "a JSON array of windows is expected" };
    for (const [i, w] of parsed.entries()) {
        if (
            typeof w !== "object" ||
            w === null ||
            typeof w.name !== "string" ||
            !Array.isArray(w.routes) ||
            !Array.isArray(w.timeIntervals)
        ) {
            return { ok: false, reason: `window ${i} must be {"name": ..., "routes": [...], "timeIntervals": [...]}` };
        }
        const badRoute = w.routes.find((r: unknown) => !["critical", "warning", "canary"].includes(r as string));
        if (badRoute !== undefined)
            return { ok: false, reason: `window '${w.name}': route '${badRoute}' is not one of critical, warning, canary` };
    }
    const problems = muteWindowProblems(parsed as MuteWindowConfig[]);
    return problems.length > 0 ? { ok: false, reason: problems.join("; ") } : { ok: true, value: parsed as MuteWindowConfig[] };
}

function checkSlackChannel(v: string): string | undefined {
    return /^#[a-z0-9][a-z0-9._-]*$/.test(v) ? undefined : "a Slack channel such as #kline-alerts is expected";
}

export function readMonitoringConfig(
    r: MonitoringConfigReader,
    project: string,
    environment: EnvironmentName,
    ingressHost: string,
    scrapeIntervalDefault: string,
    checkScrapeInterval: (v: string) => string | undefined,
): MonitoringConfig {
    const d = MONITORING_ENVIRONMENTS[environment];
    const base: MonitoringConfig = {
        namespace: MONITORING_NAMESPACE,
        scrapeInterval: r.string("scrapeInterval", scrapeIntervalDefault, checkScrapeInterval),
        maintenanceMode: r.boolean("maintenanceMode", false),
        pagerdutyRoutingKey: r.secret("pagerdutyRoutingKey"),
        slackWebhookUrl: r.secret("slackWebhookUrl"),
        heartbeatUrl: r.secret("heartbeatUrl"),
        runbookBaseUrl: r.string("runbookBaseUrl", DEFAULT_RUNBOOK_BASE_URL, (v) =>
            /^https:\/\/[^\s#]+$/.test(v) ? undefined : "an https:// URL without '#' is expected (each alert appends its own anchor)",
        ),
        probeUrl: r.string("probeUrl", `https://${ingressHost}/readyz`, checkDestinationUrl),
    };
    if (!d.install) return base;

    const prometheusReplicas = r.integer("prometheusReplicas", d.prometheusReplicas, 1, 5);
    const retention = r.parsed("prometheusRetention", d.prometheusRetention, parseRetention);
    const storage = r.parsed("prometheusStorage", d.prometheusStorage, (v) => {
        const p = parseMemory(v);
        if (p.ok && p.value < 2 * 1024 ** 3) return { ok: false, reason: "at least 2Gi is expected" };
        return p.ok && p.value > MAX_VOLUME_BYTES ? { ok: false, reason: `at most ${showBytes(MAX_VOLUME_BYTES)} is expected` } : p;
    });
    const storageClass = r.string("prometheusStorageClass", "", (v) => (v === "" ? undefined : checkDnsLabel(v)));
    const alertmanagerReplicas = r.integer("alertmanagerReplicas", d.alertmanagerReplicas, 1, 5);
    const slackChannel = r.string("slackChannel", "#kline-alerts", checkSlackChannel);
    const canarySlackChannel = r.string("canarySlackChannel", "#kline-canary", checkSlackChannel);
    const muteWindows = r.parsed("muteWindows", "[]", parseMuteWindows);

    return {
        ...base,
        install: {
            kubePrometheusStack: { ...KUBE_PROMETHEUS_STACK_CHART },
            blackboxExporter: { ...BLACKBOX_EXPORTER_CHART },
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
