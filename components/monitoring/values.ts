// Helm values of the two monitoring releases as pure functions of the stack's settings, so tests
// check them without Pulumi. kube-prometheus-stack: per-environment Prometheus / Alertmanager,
// selectors that take ServiceMonitors, PodMonitors, Probes and PrometheusRules from every
// namespace and release, Grafana with the dashboard sidecar, and explicit restricted-level
// security contexts for every pod of the `monitoring` namespace. node-exporter alone needs host
// access and runs in a namespace of its own.
import { EnvironmentName, MonitoringInstallConfig, PodResources } from "../../config/types";

export const KPS_RELEASE = "kube-prometheus-stack";
export const BLACKBOX_RELEASE = "blackbox-exporter";
/** Service of the blackbox exporter that Probes send their requests to. */
export const BLACKBOX_SERVICE_PORT = 9115;
export const GRAFANA_SERVICE = `${KPS_RELEASE}-grafana`;
export const PROMETHEUS_SERVICE = `${KPS_RELEASE}-prometheus`;
export const ALERTMANAGER_SERVICE = `${KPS_RELEASE}-alertmanager`;
/** Secret (in the monitoring namespace) with Grafana's admin user and generated password. */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/**
 * Secret (in the monitoring namespace, key `alertmanager.yaml`) holding the Alertmanager
 * configuration built by alertmanager.ts. It carries the receiver secrets, so it is a Pulumi
 * secret and stays out of the Helm values (and the release history).
 */
export const ALERTMANAGER_CONFIG_SECRET = "alertmanager-kline-analytics";
/** Label and value the Grafana sidecar loads dashboards by. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

const SECCOMP = { seccompProfile: { type: "RuntimeDefault" } };

/** Pod security context of the restricted Pod Security level for a fixed non-root user. */
export function restrictedPod(uid: number, gid = uid): Record<string, unknown> {
    return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, ...SECCOMP };
}

/** Container security context of the restricted level, read-only root unless the program writes there. */
export function restrictedContainer(readOnlyRootFilesystem = true): Record<string, unknown> {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        ...SECCOMP,
    };
}

const small = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): PodResources => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

function volume(storage: string, storageClass?: string) {
    return {
        volumeClaimTemplate: {
            spec: {
                ...(storageClass ? { storageClassName: storageClass } : {}),
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage } },
            },
        },
    };
}

export interface KubePrometheusStackValuesArgs {
    environment: EnvironmentName;
    install: MonitoringInstallConfig;
    scrapeInterval: string;
}

export function kubePrometheusStackValues(a: KubePrometheusStackValuesArgs): Record<string, unknown> {
    const { install: m } = a;
    return {
        // The CRDs are Pulumi resources of their own, upgraded with the chart pin (components/shared/crds.ts).
        crds: { enabled: false },
        // The chart's Kubernetes alerts, including Watchdog (Alertmanager's heartbeat) and InfoInhibitor.
        defaultRules: { create: true },
        // EKS runs the control plane: its scheduler, controller manager, etcd and kube-proxy metrics
        // are not reachable, and their targets would only raise TargetDown.
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        alertmanager: {
            enabled: true,
            alertmanagerSpec: {
                // The configuration comes from our Secret, not from the chart's `config` value.
                useExistingSecret: true,
                configSecret: ALERTMANAGER_CONFIG_SECRET,
                replicas: m.alertmanager.replicas,
                retention: m.alertmanager.retention,
                resources: m.alertmanager.resources,
                podAntiAffinity: m.podAntiAffinity,
                storage: volume(m.alertmanager.storage),
                securityContext: restrictedPod(1000, 2000),
            },
        },
        prometheus: {
            enabled: true,
            prometheusSpec: {
                replicas: m.prometheus.replicas,
                retention: m.prometheus.retention,
                retentionSize: m.prometheus.retentionSize,
                resources: m.prometheus.resources,
                scrapeInterval: a.scrapeInterval,
                evaluationInterval: a.scrapeInterval,
                externalLabels: { environment: a.environment },
                walCompression: true,
                podAntiAffinity: m.podAntiAffinity,
                storageSpec: volume(m.prometheus.storage, m.prometheus.storageClass),
                securityContext: restrictedPod(1000, 2000),
                // Take monitors, probes and rules from every namespace, not only this release's.
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                probeSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                scrapeConfigSelectorNilUsesHelmValues: false,
                serviceMonitorNamespaceSelector: {},
                podMonitorNamespaceSelector: {},
                probeNamespaceSelector: {},
                ruleNamespaceSelector: {},
            },
        },
        prometheusOperator: {
            resources: small("100m", "128Mi", "500m", "512Mi"),
            securityContext: restrictedPod(65534),
            containerSecurityContext: restrictedContainer(),
            admissionWebhooks: {
                patch: { securityContext: restrictedPod(2000) },
                createSecretJob: { securityContext: restrictedContainer() },
                patchWebhookJob: { securityContext: restrictedContainer() },
            },
        },
        grafana: {
            enabled: true,
            replicas: 1,
            // The admin password is generated by the stack and kept in a Secret, not in Helm values.
            admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
            defaultDashboardsTimezone: "utc",
            resources: m.grafana.resources,
            // Dashboards come from ConfigMaps; no volume means no root init container to chown it.
            persistence: { enabled: false },
            testFramework: { enabled: false },
            securityContext: restrictedPod(472),
            containerSecurityContext: restrictedContainer(false),
            sidecar: {
                securityContext: restrictedContainer(),
                dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
                datasources: { enabled: true },
            },
        },
        "kube-state-metrics": {
            resources: small("50m", "128Mi", "500m", "512Mi"),
            securityContext: restrictedPod(65534),
            containerSecurityContext: restrictedContainer(),
        },
        // node-exporter reads the host (hostNetwork, hostPID, hostPath): Pod Security `privileged`,
        // so it lives apart and `monitoring` can enforce `restricted`.
        "prometheus-node-exporter": {
            namespaceOverride: m.nodeExporterNamespace,
            resources: small("50m", "64Mi", "250m", "128Mi"),
        },
    };
}

/** prometheus-blackbox-exporter: one `http_2xx` module and hardened security contexts. */
export function blackboxExporterValues(replicas: number): Record<string, unknown> {
    return {
        fullnameOverride: BLACKBOX_RELEASE,
        replicas,
        automountServiceAccountToken: false,
        config: {
            modules: {
                http_2xx: {
                    prober: "http",
                    timeout: "5s",
                    http: {
                        valid_status_codes: [], // any 2xx
                        valid_http_versions: ["HTTP/1.1", "HTTP/2.0"],
                        follow_redirects: true,
                        preferred_ip_protocol: "ip4",
                        // The external URL is https: a plain-http answer is a failure, and the
                        // certificate's expiry is reported (probe_ssl_earliest_cert_expiry).
                        fail_if_not_ssl: true,
                    },
                },
            },
        },
        podSecurityContext: restrictedPod(1000),
        securityContext: { ...restrictedContainer(), runAsUser: 1000, runAsGroup: 1000 },
        resources: small("25m", "32Mi", "200m", "128Mi"),
        serviceMonitor: { enabled: false, selfMonitor: { enabled: true } },
    };
}
