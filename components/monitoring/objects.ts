// The app's monitoring objects in its own namespace, as plain manifests: ServiceMonitor (the
// track's Service, port `management`, /actuator/prometheus), PrometheusRule (rules/), the
// blackbox Probe of the external health URL, and the dashboard ConfigMap for Grafana's sidecar.
import { APP_NAME, NAME_LABEL, TRACK_LABEL, Track } from "../../contract/names";
import { Dashboard, DASHBOARD_FILE } from "./dashboard";
import { PROBE_JOB } from "./params";
import { RuleGroup } from "./rules";
import { BLACKBOX_RELEASE, BLACKBOX_SERVICE_PORT, DASHBOARD_LABEL } from "./values";

const API = "monitoring.coreos.com/v1";

export interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
    data?: Record<string, string>;
}

/** Seconds of a Prometheus duration ("15s", "1m"). */
function seconds(d: string): number {
    const m = /^(\d+)(ms|s|m|h)$/.exec(d);
    if (!m) throw new Error(`'${d}' is not a Prometheus duration such as 15s or 1m`);
    return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "s"];
}

/** An object of the prometheus-operator API (monitoring.coreos.com/v1) named `name` in `at.namespace`. */
function operatorObject(
    kind: string,
    name: string,
    at: { namespace: string; labels: Record<string, string> },
    spec: Record<string, unknown>,
): Manifest {
    return { apiVersion: API, kind, metadata: { name, namespace: at.namespace, labels: at.labels }, spec };
}

export function serviceMonitor(a: {
    name: string;
    namespace: string;
    track: Track;
    interval: string;
    labels: Record<string, string>;
}): Manifest {
    // A scrape must end before the next one starts; 10 s is plenty for one actuator page.
    const timeout = seconds(a.interval) > 10 ? "10s" : a.interval;
    return operatorObject("ServiceMonitor", a.name, a, {
        // The track's Service only (stable and canary each have one): the scrape `job` is its name.
        selector: { matchLabels: { [NAME_LABEL]: APP_NAME, [TRACK_LABEL]: a.track } },
        namespaceSelector: { matchNames: [a.namespace] },
        endpoints: [{ port: "management", path: "/actuator/prometheus", scheme: "http", interval: a.interval, scrapeTimeout: timeout }],
    });
}

/**
 * The in-cluster database pod's metrics (point-in-time recovery): postgres_exporter's
 * pg_stat_archiver_* and the pgBackRest agent's file. The scrape `job` is the Service's name.
 */
export function databaseServiceMonitor(a: {
    service: string;
    namespace: string;
    interval: string;
    labels: Record<string, string>;
}): Manifest {
    return operatorObject("ServiceMonitor", a.service, a, {
        selector: { matchLabels: { [NAME_LABEL]: a.service } },
        namespaceSelector: { matchNames: [a.namespace] },
        endpoints: [
            { port: "exporter", path: "/metrics", scheme: "http", interval: a.interval, scrapeTimeout: "10s" },
            { port: "pitr-metrics", path: "/metrics.txt", scheme: "http", interval: a.interval, scrapeTimeout: "10s" },
        ],
    });
}

export function prometheusRule(a: { name: string; namespace: string; labels: Record<string, string>; groups: RuleGroup[] }): Manifest {
    return operatorObject("PrometheusRule", a.name, a, { groups: a.groups });
}

export function probe(a: {
    namespace: string;
    monitoringNamespace: string;
    url: string;
    interval: string;
    labels: Record<string, string>;
}): Manifest {
    return operatorObject("Probe", `${APP_NAME}-external`, a, {
        jobName: PROBE_JOB,
        interval: a.interval,
        scrapeTimeout: "10s",
        module: "http_2xx",
        prober: { url: `${BLACKBOX_RELEASE}.${a.monitoringNamespace}.svc:${BLACKBOX_SERVICE_PORT}`, scheme: "http", path: "/probe" },
        // `namespace` lets the rules pick this probe's series (they select namespace and job).
        targets: { staticConfig: { static: [a.url], labels: { namespace: a.namespace } } },
    });
}

export function dashboardConfigMap(a: { namespace: string; labels: Record<string, string>; dashboard: Dashboard }): Manifest {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${APP_NAME}-dashboard`, namespace: a.namespace, labels: { ...a.labels, ...DASHBOARD_LABEL } },
        data: { [DASHBOARD_FILE]: JSON.stringify(a.dashboard) },
    };
}
