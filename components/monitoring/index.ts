// MonitoringStack: kube-prometheus-stack and the blackbox exporter (two Helm releases) in the
// `monitoring` namespace, plus the app's ServiceMonitor, PrometheusRule, blackbox Probe and
// dashboard ConfigMap in the app's namespace. Every spec is built by the pure functions beside
// this file; this component only turns them into resources.
//
// The canary stack installs no monitoring: the canary runs in production's namespace and
// cluster, so production's Prometheus scrapes it and production's Alertmanager routes its alerts.
// The canary stack adds only its own ServiceMonitor (its Service) and PrometheusRule (its alerts).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as YAML from "yaml";
import { AppConfig, EnvironmentName, MonitoringConfig } from "../../config/types";
import { APP_PODS, TRACK_LABEL } from "../../contract/names";
import { ChartCrds } from "../shared/crds";
import { chartReleaseArgs } from "../shared/helm";
import { podSecurityLabels } from "../shared/security";
import { buildAlertmanagerConfig } from "./alertmanager";
import { ApiServer, createNetworkPolicies } from "../shared/network";
import { buildDashboard } from "./dashboard";
import { monitoringNetworkPolicies } from "./networkpolicies";
import { dashboardConfigMap, databaseServiceMonitor, Manifest, probe, prometheusRule, serviceMonitor } from "./objects";
import { DATABASE_JOB, dashboardParams, ruleParamsFor } from "./params";
import { buildRuleGroups } from "./rules";
import {
    ALERTMANAGER_CONFIG_SECRET,
    ALERTMANAGER_SERVICE,
    BLACKBOX_RELEASE,
    blackboxExporterValues,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_SERVICE,
    KPS_RELEASE,
    kubePrometheusStackValues,
    PROMETHEUS_SERVICE,
} from "./values";

export interface MonitoringStackArgs {
    environment: EnvironmentName;
    monitoring: MonitoringConfig;
    app: Pick<AppConfig, "name" | "track">;
    /** The app namespace (an Output: the objects wait for it). */
    appNamespace: pulumi.Input<string>;
    appNamespaceName: string;
    /** The stack runs the backup CronJob (backup alerts and dashboard panels apply). */
    backups: boolean;
    /** The in-cluster database runs point-in-time recovery (its metrics are scraped, PITR alerts apply). */
    pitr?: { fullEverySeconds: number; incrementalEverySeconds: number };
    labels: Record<string, string>;
    /** Address blocks NetworkPolicies allow where no label selects the destination. */
    network: { apiServer: ApiServer; nodeCidrs: string[] };
}

/** node-exporter's namespace: enforce exactly `privileged` (host access); audit and warn at `baseline`. */
export function nodeExporterNamespaceLabels(): Record<string, string> {
    return podSecurityLabels("privileged", "baseline");
}

/** Throws when a stack that must page and notify has no receiver secrets (names the keys and the fix). */
export function checkReceivers(environment: string, m: MonitoringConfig): void {
    if (!m.install?.receiversRequired) return;
    const missing = (["pagerdutyRoutingKey", "slackWebhookUrl"] as const).filter((k) => m[k] === undefined);
    if (missing.length > 0) {
        throw new pulumi.RunError(
            `monitoring: the ${environment} Alertmanager needs ${missing.join(" and ")}: set ` +
                missing.map((k) => `\`pulumi config set --secret ${k} <value>\``).join(" and "),
        );
    }
}

export class MonitoringStack extends pulumi.ComponentResource {
    /** The prometheus-operator CRDs of the pinned kube-prometheus-stack (installed before it). */
    public readonly crds?: ChartCrds;
    public readonly kubePrometheusStack?: k8s.helm.v3.Release;
    public readonly blackboxExporter?: k8s.helm.v3.Release;
    public readonly serviceMonitor: k8s.apiextensions.CustomResource;
    public readonly prometheusRule: k8s.apiextensions.CustomResource;
    public readonly probe?: k8s.apiextensions.CustomResource;
    public readonly dashboard?: k8s.core.v1.ConfigMap;
    /** Where people find Grafana, Prometheus and Alertmanager (in-cluster services). */
    public readonly endpoints: Record<string, string>;

    constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:monitoring:MonitoringStack", name, {}, opts);
        const m = args.monitoring;
        const install = m.install;
        checkReceivers(args.environment, m);
        const child = { parent: this };
        const labels = { ...args.labels, "app.kubernetes.io/component": "monitoring" };

        let crDependsOn: pulumi.Resource[] = [];
        if (install) {
            // --- namespaces --------------------------------------------------------------------------
            const ns = new k8s.core.v1.Namespace(
                `${name}-namespace`,
                { metadata: { name: m.namespace, labels: { ...labels, ...podSecurityLabels("restricted") } } },
                child,
            );
            const nodeNs = new k8s.core.v1.Namespace(
                `${name}-node-exporter-namespace`,
                { metadata: { name: install.nodeExporterNamespace, labels: { ...labels, ...nodeExporterNamespaceLabels() } } },
                child,
            );

            // --- NetworkPolicies: in place before the charts' pods (and their install hooks) start ----
            const namespaces = { [m.namespace]: ns, [install.nodeExporterNamespace]: nodeNs };
            const policies = createNetworkPolicies(
                name,
                monitoringNetworkPolicies({
                    namespace: m.namespace,
                    nodeExporterNamespace: install.nodeExporterNamespace,
                    apiServer: args.network.apiServer,
                    nodeCidrs: args.network.nodeCidrs,
                    probeUrl: m.probeUrl,
                }),
                namespaces,
                labels,
                child,
            ).map((p) => p.resource);

            // --- Grafana admin: generated, kept in a Secret the chart reads --------------------------
            const password = new random.RandomPassword(`${name}-grafana-admin-password`, { length: 32, special: false }, child);
            const grafanaAdmin = new k8s.core.v1.Secret(
                `${name}-grafana-admin`,
                {
                    metadata: { name: GRAFANA_ADMIN_SECRET, namespace: ns.metadata.name, labels },
                    type: "Opaque",
                    stringData: { "admin-user": "admin", "admin-password": password.result },
                },
                child,
            );

            // --- Alertmanager configuration: a Secret, as it holds the receiver secrets --------------
            // Built with the secrets as Output leaves; pulumi.output lifts them (and their secrecy).
            const alertmanagerConfig = buildAlertmanagerConfig({
                pagerdutyRoutingKey: m.pagerdutyRoutingKey,
                slackWebhookUrl: m.slackWebhookUrl,
                heartbeatUrl: m.heartbeatUrl,
                slackChannel: install.slackChannel,
                canarySlackChannel: install.canarySlackChannel,
                muteWindows: install.muteWindows,
            });
            const alertmanagerSecret = new k8s.core.v1.Secret(
                `${name}-alertmanager-config`,
                {
                    metadata: { name: ALERTMANAGER_CONFIG_SECRET, namespace: ns.metadata.name, labels },
                    type: "Opaque",
                    stringData: {
                        "alertmanager.yaml": pulumi.secret(
                            pulumi.output(alertmanagerConfig).apply((c) => YAML.stringify(c, { lineWidth: 0 })),
                        ),
                    },
                },
                child,
            );

            // --- kube-prometheus-stack: its CRDs first, then the release without them ---------------
            this.crds = new ChartCrds(`${name}-crds`, install.kubePrometheusStack, child);
            this.kubePrometheusStack = new k8s.helm.v3.Release(
                `${name}-kube-prometheus-stack`,
                chartReleaseArgs(install.kubePrometheusStack, {
                    name: KPS_RELEASE,
                    namespace: ns.metadata.name,
                    values: kubePrometheusStackValues({ environment: args.environment, install, scrapeInterval: m.scrapeInterval }),
                    skipCrds: true,
                    timeout: 900,
                }),
                { ...child, dependsOn: [nodeNs, grafanaAdmin, alertmanagerSecret, ...policies, ...this.crds.crds] },
            );
            crDependsOn = [this.kubePrometheusStack];

            // --- blackbox exporter (its self-monitoring ServiceMonitor needs the CRDs above) --------
            this.blackboxExporter = new k8s.helm.v3.Release(
                `${name}-blackbox-exporter`,
                chartReleaseArgs(install.blackboxExporter, {
                    name: BLACKBOX_RELEASE,
                    namespace: ns.metadata.name,
                    values: blackboxExporterValues(install.blackboxReplicas),
                    timeout: 300,
                }),
                { ...child, dependsOn: [this.kubePrometheusStack] },
            );
        }

        // --- the app's monitoring objects ---------------------------------------------------------------
        const appLabels = { ...labels, ...APP_PODS, [TRACK_LABEL]: args.app.track };
        const track = args.app.track;
        const custom = (role: string, manifest: Manifest, dependsOn: pulumi.Resource[]) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${role}`,
                {
                    apiVersion: manifest.apiVersion,
                    kind: manifest.kind,
                    metadata: { ...manifest.metadata, namespace: args.appNamespace },
                    spec: manifest.spec,
                },
                { ...child, dependsOn },
            );
        this.serviceMonitor = custom(
            "servicemonitor",
            serviceMonitor({ name: args.app.name, namespace: args.appNamespaceName, track, interval: m.scrapeInterval, labels: appLabels }),
            crDependsOn,
        );
        const groups = buildRuleGroups(
            ruleParamsFor({
                environment: args.environment,
                namespace: args.appNamespaceName,
                track,
                appName: args.app.name,
                runbookBaseUrl: m.runbookBaseUrl,
                backups: args.backups,
                pitr: args.pitr,
                probe: track === "stable" && install !== undefined,
                monitoringNamespace: track === "stable" && install !== undefined ? m.namespace : undefined,
                maintenanceMode: m.maintenanceMode,
                thresholds: m.thresholds,
            }),
        );
        if (args.pitr && track === "stable") {
            custom(
                "database-servicemonitor",
                databaseServiceMonitor({ service: DATABASE_JOB, namespace: args.appNamespaceName, interval: "60s", labels: appLabels }),
                crDependsOn,
            );
        }
        this.prometheusRule = custom(
            "prometheusrule",
            prometheusRule({ name: args.app.name, namespace: args.appNamespaceName, labels: appLabels, groups }),
            crDependsOn,
        );

        if (track === "stable" && install) {
            this.probe = custom(
                "probe",
                probe({
                    namespace: args.appNamespaceName,
                    monitoringNamespace: m.namespace,
                    url: m.probeUrl,
                    interval: "30s",
                    labels: appLabels,
                }),
                [...crDependsOn, this.blackboxExporter!],
            );
            const cm = dashboardConfigMap({
                namespace: args.appNamespaceName,
                labels: appLabels,
                dashboard: buildDashboard(dashboardParams()),
            });
            this.dashboard = new k8s.core.v1.ConfigMap(
                `${name}-dashboard`,
                { metadata: { ...cm.metadata, namespace: args.appNamespace }, data: cm.data },
                child,
            );
        }

        this.endpoints = install
            ? {
                  grafana: `http://${GRAFANA_SERVICE}.${m.namespace}.svc (kubectl -n ${m.namespace} port-forward svc/${GRAFANA_SERVICE} 3000:80; user admin, password in Secret ${m.namespace}/${GRAFANA_ADMIN_SECRET})`,
                  prometheus: `http://${PROMETHEUS_SERVICE}.${m.namespace}.svc:9090`,
                  alertmanager: `http://${ALERTMANAGER_SERVICE}.${m.namespace}.svc:9093`,
              }
            : { servedBy: "the production stack's monitoring (namespace monitoring)" };
        this.registerOutputs({ endpoints: this.endpoints });
    }
}
