// LoggingStack: the ECK operator (Helm), Elasticsearch + Kibana + a Filebeat DaemonSet as ECK
// custom resources, the Job that installs ILM policies / index templates / the redaction pipeline /
// the Kibana data view, and the NetworkPolicies of the logging namespaces. All specs are built by
// the pure functions beside this file; this component only turns them into resources.
//
// The canary stack creates no LoggingStack: the canary runs in production's namespace, so
// production's Filebeat ships its logs, into their own data stream with the canary's retention.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ElasticStackConfig, EnvironmentName, LoggingConfig } from "../../config/types";
import { INSTANCE_LABEL, NAME_LABEL } from "../../contract/names";
import { ChartCrds } from "../shared/crds";
import { chartReleaseArgs } from "../shared/helm";
import { podSecurityLabels } from "../shared/security";
import { buildElasticsearch, elasticsearchPodLabels } from "./elasticsearch";
import { buildBeat, FILEBEAT_NAME, FILEBEAT_ROLE_RULES, filebeatPodLabels } from "./filebeat";
import { buildInstallerConfigData, buildInstallerJob, buildInstallerRequests, contentHash } from "./installer";
import { buildKibana, kibanaPodLabels } from "./kibana";
import { dataStreamName } from "./names";
import { ApiServer, createNetworkPolicies } from "../shared/network";
import { loggingNetworkPolicies } from "./networkpolicies";
import { eckOperatorValues } from "./operator";

export interface LoggingStackArgs {
    environment: EnvironmentName;
    logging: LoggingConfig;
    labels: Record<string, string>;
    /** The application namespace whose logs are collected (an Output: the Role waits for it). */
    appNamespace: pulumi.Input<string>;
    /** Its name as plain text (Filebeat's file glob is built from it). */
    appNamespaceName: string;
    /** Where the API server answers: Filebeat and the operator may reach it, and it calls the operator's webhook. */
    apiServer: ApiServer;
}

/** Names of the ECK resources; they also fix the Services and Secrets the operator creates. */
export const ES_NAME = "logging";
export const KIBANA_NAME = "logging";
export const INSTALLER_LABELS = { [NAME_LABEL]: "logging-assets-installer" };
/** The ECK operator's Helm release; the chart labels its pods with the release name. */
export const ECK_RELEASE = "eck-operator";
export const ECK_OPERATOR_POD_LABELS = { [INSTANCE_LABEL]: ECK_RELEASE };
/**
 * How long `pulumi up` waits for Elasticsearch and Kibana to report `health: green` (a first
 * start pulls images and forms the cluster). Past it, the update fails naming the object and the
 * condition, instead of a Job waiting behind it.
 */
export const HEALTH_TIMEOUT_SECONDS = { elasticsearch: 1200, kibana: 900 } as const;
/** How long the installer script retries its requests (the cluster is already green when it starts). */
export const INSTALLER_WAIT_SECONDS = 300;

/** Pulumi's wait for the installer Job: a little over its activeDeadlineSeconds (2 x the script's wait + 300 s). */
export const INSTALLER_JOB_TIMEOUT = `${Math.ceil((INSTALLER_WAIT_SECONDS * 2 + 300) / 60) + 5}m`;

/** Makes Pulumi wait, on create and update, until the ECK object reports `health: green`. */
export function awaitGreen(manifest: Record<string, any>, timeoutSeconds: number): Record<string, any> {
    return {
        ...manifest,
        metadata: {
            ...manifest.metadata,
            annotations: {
                ...(manifest.metadata.annotations ?? {}),
                "pulumi.com/waitFor": "jsonpath={.status.health}=green",
                "pulumi.com/timeoutSeconds": String(timeoutSeconds),
            },
        },
    };
}

/** Namespace labels of the shipper's namespace: enforce exactly `privileged` (hostPath), audit and warn at `baseline`. */
export function shipperNamespaceLabels(): Record<string, string> {
    return podSecurityLabels("privileged", "baseline");
}

/** Replica shards: one copy on another node when there is another node. */
export function indexReplicas(stack: ElasticStackConfig): number {
    return stack.elasticsearch.nodes > 1 ? 1 : 0;
}

export class LoggingStack extends pulumi.ComponentResource {
    /** The ECK CRDs of the pinned eck-operator chart (installed before it). */
    public readonly crds: ChartCrds;
    public readonly operator: k8s.helm.v3.Release;
    public readonly elasticsearch: k8s.apiextensions.CustomResource;
    public readonly kibana: k8s.apiextensions.CustomResource;
    public readonly filebeat: k8s.apiextensions.CustomResource;
    public readonly installer: k8s.batch.v1.Job;
    /** In-cluster Kibana endpoint (reach it with `kubectl -n logging port-forward svc/logging-kb-http 5601`). */
    public readonly kibanaUrl: string;
    public readonly elasticsearchUrl: string;
    public readonly dataStreams: string[];

    constructor(name: string, args: LoggingStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:logging:LoggingStack", name, {}, opts);
        const cfg = args.logging;
        const stack = cfg.stack;
        if (!stack) {
            throw new Error(
                `logging: the ${args.environment} stack installs no Elastic stack (production's stack hosts its logs); do not create a LoggingStack for it`,
            );
        }
        const child = { parent: this };
        const labels = { ...args.labels, "app.kubernetes.io/component": "logging" };

        // --- namespaces ---------------------------------------------------------------------------
        const operatorNs = new k8s.core.v1.Namespace(
            `${name}-operator-namespace`,
            { metadata: { name: cfg.operatorNamespace, labels: { ...labels, ...podSecurityLabels("restricted") } } },
            child,
        );
        const loggingNs = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: cfg.namespace, labels: { ...labels, ...podSecurityLabels("restricted") } } },
            child,
        );
        const shipperNs = new k8s.core.v1.Namespace(
            `${name}-shipper-namespace`,
            { metadata: { name: cfg.shipperNamespace, labels: { ...labels, ...shipperNamespaceLabels() } } },
            child,
        );

        // --- NetworkPolicies --------------------------------------------------------------------------
        const policies = loggingNetworkPolicies({
            namespace: cfg.namespace,
            shipperNamespace: cfg.shipperNamespace,
            operatorNamespace: cfg.operatorNamespace,
            esPods: elasticsearchPodLabels(ES_NAME),
            kibanaPods: kibanaPodLabels(KIBANA_NAME),
            shipperPods: filebeatPodLabels(FILEBEAT_NAME),
            installerPods: INSTALLER_LABELS,
            operatorPods: ECK_OPERATOR_POD_LABELS,
            apiServer: args.apiServer,
        });
        const namespaces = { [cfg.operatorNamespace]: operatorNs, [cfg.namespace]: loggingNs, [cfg.shipperNamespace]: shipperNs };
        // Every namespace denies by default; the operator starts only once its own allows are in place.
        const operatorPolicies = createNetworkPolicies(name, policies, namespaces, labels, child)
            .filter((p) => p.policy.namespace === cfg.operatorNamespace)
            .map((p) => p.resource);

        // --- operator: its CRDs first, then the release without them ------------------------------
        this.crds = new ChartCrds(`${name}-crds`, stack.operatorChart, child);
        this.operator = new k8s.helm.v3.Release(
            `${name}-eck-operator`,
            chartReleaseArgs(stack.operatorChart, {
                name: ECK_RELEASE,
                namespace: operatorNs.metadata.name,
                values: eckOperatorValues([cfg.namespace, cfg.shipperNamespace]),
                skipCrds: true,
                timeout: 600,
            }),
            // The chart binds its roles in the managed namespaces: they must exist first.
            { ...child, dependsOn: [loggingNs, shipperNs, ...operatorPolicies, ...this.crds.crds] },
        );
        // Every ECK resource needs the CRDs and the operator that serves them.
        const crOpts = { ...child, dependsOn: [this.operator] };

        // --- Elasticsearch and Kibana ------------------------------------------------------------
        // Both are awaited until green, so what depends on them (the installer) starts on a working cluster.
        const es = awaitGreen(buildElasticsearch(ES_NAME, cfg.namespace, stack, labels), HEALTH_TIMEOUT_SECONDS.elasticsearch);
        this.elasticsearch = new k8s.apiextensions.CustomResource(`${name}-elasticsearch`, es as any, crOpts);
        const kb = awaitGreen(buildKibana(KIBANA_NAME, cfg.namespace, ES_NAME, stack, labels), HEALTH_TIMEOUT_SECONDS.kibana);
        this.kibana = new k8s.apiextensions.CustomResource(`${name}-kibana`, kb as any, crOpts);

        // --- Filebeat ------------------------------------------------------------------------------
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-filebeat-account`,
            { metadata: { name: FILEBEAT_NAME, namespace: shipperNs.metadata.name, labels } },
            child,
        );
        const role = new k8s.rbac.v1.Role(
            `${name}-filebeat-role`,
            { metadata: { name: "logging-filebeat-metadata", namespace: args.appNamespace, labels }, rules: FILEBEAT_ROLE_RULES },
            child,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-filebeat-rolebinding`,
            {
                metadata: { name: "logging-filebeat-metadata", namespace: args.appNamespace, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: cfg.shipperNamespace }],
            },
            child,
        );
        // Pods labelled track=canary go to the canary's stream when this cluster holds one.
        const trackStreams: Record<string, string> = stack.streams.some((s) => s.environment === "canary") ? { canary: "canary" } : {};
        const beat = buildBeat({
            name: FILEBEAT_NAME,
            namespace: cfg.shipperNamespace,
            version: stack.version,
            esName: ES_NAME,
            esNamespace: cfg.namespace,
            serviceAccountName: FILEBEAT_NAME,
            labels,
            appNamespaces: [args.appNamespaceName],
            environment: args.environment,
            trackStreams,
        });
        this.filebeat = new k8s.apiextensions.CustomResource(`${name}-filebeat`, beat as any, { ...child, dependsOn: [this.operator, sa] });

        // --- installer ------------------------------------------------------------------------------
        const streams = stack.streams.map((s) => ({ ...s, rollover: stack.rollover }));
        const data = buildInstallerConfigData(buildInstallerRequests(streams, indexReplicas(stack)));
        const installerName = `logging-assets-${contentHash(data)}`;
        const installerLabels = { ...labels, ...INSTALLER_LABELS };
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-assets`,
            { metadata: { name: installerName, namespace: loggingNs.metadata.name, labels: installerLabels }, data },
            child,
        );
        const job = buildInstallerJob({
            name: installerName,
            namespace: cfg.namespace,
            configMapName: installerName,
            elasticsearchName: ES_NAME,
            kibanaName: KIBANA_NAME,
            image: `docker.elastic.co/elasticsearch/elasticsearch:${stack.version}`,
            labels: installerLabels,
            waitTimeoutSeconds: INSTALLER_WAIT_SECONDS,
        });
        this.installer = new k8s.batch.v1.Job(
            `${name}-assets-installer`,
            { metadata: job.metadata, spec: job.spec },
            {
                ...child,
                // Created only once Elasticsearch and Kibana are green (awaitGreen above).
                dependsOn: [configMap, this.elasticsearch, this.kibana],
                // Longer than the Job's own activeDeadlineSeconds, so Kubernetes, not Pulumi, decides failure.
                customTimeouts: { create: INSTALLER_JOB_TIMEOUT, update: INSTALLER_JOB_TIMEOUT },
            },
        );

        this.kibanaUrl = `https://${KIBANA_NAME}-kb-http.${cfg.namespace}.svc:5601`;
        this.elasticsearchUrl = `https://${ES_NAME}-es-http.${cfg.namespace}.svc:9200`;
        this.dataStreams = stack.streams.map((s) => dataStreamName(s.environment));
        this.registerOutputs({ kibanaUrl: this.kibanaUrl, elasticsearchUrl: this.elasticsearchUrl, dataStreams: this.dataStreams });
    }
}
