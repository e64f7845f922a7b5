// The kline-analytics application: namespace, identity, configuration, workload, traffic,
// disruption and scaling policy, and the namespace's NetworkPolicies.
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppConfig, DatabaseConfig, EnvironmentName } from "../../config/types";
import { APP_NAME, DB_SECRET_NAME, trackPods } from "../../contract/names";
import { podSecurityLabels } from "../shared/security";
import { renderApplicationYaml } from "./appconfig";
import { renderLogbackXml } from "./logback";
import { appNetworkPolicies } from "./networkpolicies";
import { InClusterPostgres, InClusterPostgresArgs, PitrWiring } from "./postgres";
import { buildDeploymentSpec } from "./workload";

export interface KlineAppArgs {
    environment: EnvironmentName;
    namespace: string;
    /** Create the namespace and its shared objects (false on the canary stack). */
    ownsNamespace: boolean;
    /** Protect the namespace (production): no config mistake or destroy can delete it with everything in it. */
    protect: boolean;
    /**
     * When the namespace is another stack's (the canary runs in production's): its name as that
     * stack exports it, so every object here waits for, and fails early without, that stack.
     */
    existingNamespace?: pulumi.Input<string>;
    labels: Record<string, string>;
    app: AppConfig;
    database: DatabaseConfig;
    monitoringNamespace: string;
    /** Where the app may connect on 443 (empty: nowhere). */
    httpsEgressCidrs: string[];
    /** Point-in-time recovery of the in-cluster database (pgBackRest to the backup bucket). */
    pitr?: PitrWiring;
    /** Where the database with point-in-time recovery may reach S3 and STS (unset: public addresses). */
    backupHttpsEgressCidrs?: string[];
    /** The backup jobs' roles, which the in-cluster database creates (while backups are enabled). */
    backupRoles?: InClusterPostgresArgs["backupRoles"];
}

/** Name of the Secret (key `password`) that holds the database password. */

/** Resource options that differ by environment (tested directly: mocks never see options). */
export function deploymentOptions(app: AppConfig): Pick<pulumi.CustomResourceOptions, "ignoreChanges"> {
    // With an autoscaler the HPA owns spec.replicas; Pulumi sets it on create only.
    return app.hpa.enabled ? { ignoreChanges: ["spec.replicas"] } : {};
}

/** Options of the Namespace: production's is protected, so no config mistake or destroy can delete it with everything in it. */
export function namespaceOptions(protect: boolean): Pick<pulumi.CustomResourceOptions, "protect"> {
    return protect ? { protect: true } : {};
}

export function configChecksum(data: Record<string, string>): string {
    const hash = crypto.createHash("sha256");
    for (const key of Object.keys(data).sort()) hash.update(key).update("\0").update(data[key]).update("\0");
    return hash.digest("hex");
}

export class KlineApp extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    public readonly serviceDns: pulumi.Output<string>;
    public readonly postgres?: InClusterPostgres;

    constructor(name: string, args: KlineAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:app:KlineApp", name, {}, opts);
        const { app, database: db } = args;
        const child = { parent: this };
        const labels = { ...args.labels, ...trackPods(app.track) };

        // --- namespace --------------------------------------------------------------------------
        let namespace: pulumi.Output<string>;
        if (args.ownsNamespace) {
            const ns = new k8s.core.v1.Namespace(
                `${name}-namespace`,
                { metadata: { name: args.namespace, labels: { ...args.labels, ...podSecurityLabels("restricted") } } },
                { ...child, ...namespaceOptions(args.protect) },
            );
            namespace = ns.metadata.name;
        } else {
            namespace = pulumi.output(args.existingNamespace ?? args.namespace);
        }
        this.namespace = namespace;

        // --- database credentials ----------------------------------------------------------------
        // The pods need the Secret to exist (secretKeyRef), not the database to be up: whether the
        // database answers is the readiness probe's business, so nothing here waits for it.
        let dbSecret: k8s.core.v1.Secret | undefined;
        if (db.inCluster) {
            this.postgres = new InClusterPostgres(
                `${name}-postgresql`,
                {
                    namespace,
                    labels: args.labels,
                    database: db,
                    secretName: DB_SECRET_NAME,
                    pitr: args.pitr,
                    backupRoles: args.backupRoles,
                },
                child,
            );
            dbSecret = this.postgres.secret;
        } else if (db.existingSecretName === undefined) {
            dbSecret = new k8s.core.v1.Secret(
                `${name}-db-secret`,
                {
                    metadata: { name: DB_SECRET_NAME, namespace, labels },
                    type: "Opaque",
                    stringData: { password: pulumi.secret(db.password!) },
                },
                child,
            );
        }
        const dbSecretName = db.existingSecretName ?? DB_SECRET_NAME;

        // --- identity and configuration ----------------------------------------------------------
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-serviceaccount`,
            { metadata: { name: app.name, namespace, labels }, automountServiceAccountToken: false },
            child,
        );
        const configData = {
            "application.yaml": renderApplicationYaml(app, db, args.environment),
            "logback.xml": renderLogbackXml({ service: APP_NAME, level: app.logLevel, sampleRate: app.logSampleRate }),
        };
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: `${app.name}-config`, namespace, labels }, data: configData },
            child,
        );

        // --- workload ------------------------------------------------------------------------------
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: app.name, namespace, labels },
                spec: buildDeploymentSpec({
                    app,
                    environment: args.environment,
                    labels: args.labels,
                    serviceAccountName: app.name,
                    configMapName: `${app.name}-config`,
                    configChecksum: configChecksum(configData),
                    dbSecretName,
                }),
            },
            { ...child, ...deploymentOptions(app), dependsOn: [serviceAccount, configMap, ...(dbSecret ? [dbSecret] : [])] },
        );

        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: app.name, namespace, labels },
                spec: {
                    type: "ClusterIP",
                    selector: trackPods(app.track),
                    ports: [
                        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
                        { name: "management", port: app.managementPort, targetPort: "management", protocol: "TCP" },
                    ],
                },
            },
            child,
        );
        this.serviceDns = pulumi.interpolate`${this.service.metadata.name}.${namespace}.svc.cluster.local`;

        // --- traffic: ingress-nginx; the canary ingress takes a weighted share of the same host ----
        // No dependsOn the Service: the Ingress names it, and Pulumi's own wait for the Ingress
        // (an address from the controller) does not need the pods behind it to be Ready.
        const canaryAnnotations: Record<string, string> = app.canary
            ? {
                  "nginx.ingress.kubernetes.io/canary": "true",
                  "nginx.ingress.kubernetes.io/canary-weight": String(app.canary.trafficPercent),
              }
            : {};
        new k8s.networking.v1.Ingress(
            `${name}-ingress`,
            {
                metadata: { name: app.name, namespace, labels, annotations: canaryAnnotations },
                spec: {
                    ingressClassName: app.ingress.className,
                    tls: app.ingress.tlsSecretName ? [{ hosts: [app.ingress.host], secretName: app.ingress.tlsSecretName }] : undefined,
                    rules: [
                        {
                            host: app.ingress.host,
                            http: {
                                paths: [
                                    { path: "/", pathType: "Prefix", backend: { service: { name: app.name, port: { name: "http" } } } },
                                ],
                            },
                        },
                    ],
                },
            },
            child,
        );

        // --- availability and scaling ----------------------------------------------------------------
        if (app.replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                {
                    metadata: { name: app.name, namespace, labels },
                    spec: {
                        maxUnavailable: 1,
                        selector: { matchLabels: trackPods(app.track) },
                        unhealthyPodEvictionPolicy: "AlwaysAllow",
                    },
                },
                child,
            );
        }
        if (app.hpa.enabled) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: { name: app.name, namespace, labels },
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: app.name },
                        minReplicas: app.hpa.minReplicas,
                        maxReplicas: app.hpa.maxReplicas,
                        metrics: [
                            {
                                type: "Resource",
                                resource: {
                                    name: "cpu",
                                    target: { type: "Utilization", averageUtilization: app.hpa.targetCpuUtilization },
                                },
                            },
                        ],
                        // JVM warm-up makes CPU spiky: scale down slowly.
                        behavior: {
                            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
                        },
                    },
                },
                { ...child, dependsOn: [this.deployment] },
            );
        }

        // --- network policies (owned by the namespace's stack) -------------------------------------------
        if (args.ownsNamespace) {
            for (const policy of appNetworkPolicies(
                app,
                db,
                args.monitoringNamespace,
                args.httpsEgressCidrs,
                args.pitr ? { s3EgressCidrs: args.backupHttpsEgressCidrs } : undefined,
            )) {
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-netpol-${policy.name}`,
                    { metadata: { name: policy.name, namespace, labels: args.labels }, spec: policy.spec },
                    child,
                );
            }
        }

        this.registerOutputs({ namespace, serviceDns: this.serviceDns, deployment: this.deployment.metadata.name });
    }
}
