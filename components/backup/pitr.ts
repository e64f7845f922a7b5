// Point-in-time recovery of the in-cluster PostgreSQL with pgBackRest: the repository's IRSA roles
// (PitrRoles: the live pod writes under its prefix, a restored copy only reads), the live pod's
// ServiceAccount and pgBackRest ConfigMap (PitrWiringObjects), and, while pitrRestoreTarget is set,
// a restored instance beside the live one (PitrRestore).
//
// Why an agent container and not CronJobs: `pgbackrest backup` must run where the data directory
// is (or reach it through pgBackRest's TLS server, which needs a client certificate authority this
// program would have to run). A StatefulSet pod's volume is ReadWriteOnce, so a CronJob pod cannot
// mount it. The agent beside the server shares the volume read-only and the socket directory.
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DatabaseConfig, EnvironmentName, PitrConfig } from "../../config/types";
import { POSTGRES_UID, postgresContainer, postgresMounts, postgresVolumes } from "../app/postgres-pod";
import { BACKUP_PODS, INSTANCE_LABEL, NAME_LABEL, POSTGRES_NAME, POSTGRES_PODS, POSTGRES_RESTORE_NAME } from "../../contract/names";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../contract/security";
import { AGENT_FILE, PGBACKREST_CONFIG_FILE, PITR_PATHS, pitrReaderPolicy, pitrWriterPolicy, renderPgbackrestConf } from "./pitr-config";
import { irsaServiceAccount } from "./irsa";
import { irsaTrustPolicy } from "./policies";

/** The live database pod's ServiceAccount (trusted by the repository writer role). */
export const PITR_SERVICE_ACCOUNT = POSTGRES_NAME;
/** A restored copy's ServiceAccount (trusted by the read-only role). */
export const PITR_RESTORE_SERVICE_ACCOUNT = `${POSTGRES_NAME}-restore`;
export const PITR_CONFIGMAP = "kline-analytics-pgbackrest";
export const PITR_SCRIPT_FILE = "pitr.sh";

/** StatefulSet and Service of the copy restored to an instant: named after the instant, so a new target is a new copy. */
export function restoreInstanceName(slug: string): string {
    const name = `kline-analytics-pitr-${slug}`;
    // A StatefulSet's pods carry controller-revision-hash=<name>-<10 chars>: names stay within 52.
    if (name.length > 52) throw new Error(`restored instance name ${name} is longer than 52 characters`);
    return name;
}

export function readPitrScripts(): Record<string, string> {
    const root = path.resolve(__dirname, "..", "..");
    return {
        [AGENT_FILE]: fs.readFileSync(path.join(root, "images", "postgres", AGENT_FILE), "utf8"),
        [PITR_SCRIPT_FILE]: fs.readFileSync(path.join(root, "scripts", PITR_SCRIPT_FILE), "utf8"),
    };
}

/** The ConfigMap's files: pgbackrest.conf for the live pod (and copies: they read the same repository), the agent, pitr.sh. */
export function pitrConfigFiles(a: { pitr: PitrConfig; database: DatabaseConfig; bucket: string; region: string }): Record<string, string> {
    return {
        [PGBACKREST_CONFIG_FILE]: renderPgbackrestConf({
            stanza: a.pitr.stanza,
            repository: { bucket: a.bucket, region: a.region, prefix: a.pitr.prefix, keyType: "web-id" },
            retentionDays: a.pitr.retentionDays,
            pgPath: PITR_PATHS.pgdata,
            socketPath: PITR_PATHS.socket,
            port: a.database.port,
            user: a.database.user,
            lockPath: PITR_PATHS.lock,
            processMax: 2,
        }),
        ...readPitrScripts(),
    };
}

export interface PitrRolesArgs {
    environment: EnvironmentName;
    bucketArn: pulumi.Input<string>;
    kmsKeyArn?: pulumi.Input<string>;
    prefix: string;
    region: string;
    oidcProviderArn: string;
    oidcProviderUrl: string;
    namespace: string;
}

/** IRSA roles of the repository: writer (the live pod), reader (restored copies). Both limited to the prefix. */
export class PitrRoles extends pulumi.ComponentResource {
    public readonly writerRoleArn: pulumi.Output<string>;
    public readonly readerRoleArn: pulumi.Output<string>;

    constructor(name: string, args: PitrRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:backup:PitrRoles", name, {}, opts);
        const base = `kline-analytics-${args.environment}`;
        const role = (kind: "writer" | "reader", serviceAccount: string, policy: typeof pitrWriterPolicy) => {
            const r = new aws.iam.Role(
                `${name}-${kind}-role`,
                {
                    description: `${base} pgBackRest repository ${kind} (IRSA ${args.namespace}/${serviceAccount})`,
                    assumeRolePolicy: JSON.stringify(
                        irsaTrustPolicy(args.oidcProviderArn, args.oidcProviderUrl, args.namespace, serviceAccount),
                    ),
                    maxSessionDuration: 3600 * 12,
                },
                { parent: this },
            );
            new aws.iam.RolePolicy(
                `${name}-${kind}-policy`,
                {
                    role: r.id,
                    policy: pulumi
                        .all([args.bucketArn, args.kmsKeyArn])
                        .apply(([arn, key]) => JSON.stringify(policy(arn, args.prefix, key, args.region))),
                },
                { parent: this },
            );
            return r.arn;
        };
        this.writerRoleArn = role("writer", PITR_SERVICE_ACCOUNT, pitrWriterPolicy);
        this.readerRoleArn = role("reader", PITR_RESTORE_SERVICE_ACCOUNT, pitrReaderPolicy);
        this.registerOutputs({ writerRoleArn: this.writerRoleArn, readerRoleArn: this.readerRoleArn });
    }
}

export interface PitrWiringArgs {
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    pitr: PitrConfig;
    database: DatabaseConfig;
    bucketName: pulumi.Input<string>;
    region: string;
    writerRoleArn: pulumi.Input<string>;
}

/** The live pod's ServiceAccount and the pgBackRest ConfigMap (created before its StatefulSet). */
export class PitrWiringObjects extends pulumi.ComponentResource {
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly configMap: k8s.core.v1.ConfigMap;

    constructor(name: string, args: PitrWiringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:backup:PitrWiring", name, {}, opts);
        const labels = { ...args.labels, [NAME_LABEL]: POSTGRES_NAME, "app.kubernetes.io/component": "database" };
        this.serviceAccount = irsaServiceAccount(
            `${name}-serviceaccount`,
            { name: PITR_SERVICE_ACCOUNT, namespace: args.namespace, labels, roleArn: args.writerRoleArn },
            { parent: this },
        );
        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: PITR_CONFIGMAP, namespace: args.namespace, labels },
                data: pulumi
                    .output(args.bucketName)
                    .apply((bucket) => pitrConfigFiles({ pitr: args.pitr, database: args.database, bucket, region: args.region })),
            },
            { parent: this },
        );
        this.registerOutputs({ configMap: PITR_CONFIGMAP, serviceAccount: PITR_SERVICE_ACCOUNT });
    }
}

export interface PitrRestoreArgs {
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    pitr: PitrConfig & { restoreTarget: NonNullable<PitrConfig["restoreTarget"]> };
    database: DatabaseConfig;
    /** The database Secret (the copy keeps the users and passwords of the target instant; the entrypoint needs the keys). */
    secretName: string;
    readerRoleArn: pulumi.Input<string>;
}

/** The restore pod's init step: pgBackRest restore into the empty volume (resumed with --delta after a pod restart). */
export function restoreInitCommand(target: string): string[] {
    return [
        "bash",
        `${PITR_PATHS.configDir}/${PITR_SCRIPT_FILE}`,
        "restore",
        "--target",
        target,
        "--data-dir",
        PITR_PATHS.pgdata,
        "--no-start",
        "--resume",
    ];
}

/** Ready once recovery has stopped at the target and the copy is promoted (pg_ctl returns earlier). */
export function promotedCheck(user: string): string[] {
    return ["sh", "-c", `test "$(psql -X -Atq -h ${PITR_PATHS.socket} -U ${user} -d postgres -c 'select pg_is_in_recovery()')" = f`];
}

/**
 * A second PostgreSQL recovered to the target instant, beside the live one: its own StatefulSet,
 * volume and Service, a read-only role on the repository and archiving off (pgBackRest writes
 * archive_mode=off into the copy), so it never writes into the live repository.
 */
export class PitrRestore extends pulumi.ComponentResource {
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    public readonly serviceName: string;

    constructor(name: string, args: PitrRestoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:backup:PitrRestore", name, {}, opts);
        const t = args.pitr.restoreTarget;
        const instance = restoreInstanceName(t.slug);
        this.serviceName = instance;
        const selector = { [NAME_LABEL]: POSTGRES_RESTORE_NAME, [INSTANCE_LABEL]: instance };
        const labels = { ...args.labels, ...selector, "app.kubernetes.io/component": "database-restore" };
        const child = { parent: this };
        const sa = irsaServiceAccount(
            `${name}-serviceaccount`,
            { name: PITR_RESTORE_SERVICE_ACCOUNT, namespace: args.namespace, labels, roleArn: args.readerRoleArn },
            child,
        );
        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: instance, namespace: args.namespace, labels },
                spec: {
                    clusterIP: "None",
                    selector,
                    ports: [{ name: "postgres", port: args.database.port, targetPort: "postgres", protocol: "TCP" }],
                },
            },
            child,
        );
        // Who may connect to the copy: the live server's pod (switch-over) and the backup pods.
        // Its HTTPS egress to the repository is the database's egress policy (it selects copies too).
        new k8s.networking.v1.NetworkPolicy(
            `${name}-networkpolicy`,
            {
                metadata: { name: `${instance}-ingress`, namespace: args.namespace, labels },
                spec: {
                    podSelector: { matchLabels: selector },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [{ podSelector: { matchLabels: POSTGRES_PODS } }, { podSelector: { matchLabels: BACKUP_PODS } }],
                            ports: [{ protocol: "TCP", port: args.database.port }],
                        },
                    ],
                },
            },
            child,
        );
        const server = postgresContainer(args.database, args.secretName, {
            // Archiving stays off in the copy (also written by pgBackRest into postgresql.auto.conf).
            args: ["-c", "archive_mode=off"],
            ready: promotedCheck(args.database.user),
            withPgbackrest: true,
        });
        // Recovery replays every WAL segment since the chosen backup: allow it a day to become ready.
        server.startupProbe = { exec: { command: promotedCheck(args.database.user) }, periodSeconds: 10, failureThreshold: 8640 };
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: {
                    name: instance,
                    namespace: args.namespace,
                    labels,
                    annotations: { "kline-analytics/restore-target": t.text },
                },
                spec: {
                    serviceName: instance,
                    replicas: 1,
                    selector: { matchLabels: selector },
                    // The copy is disposable: unsetting pitrRestoreTarget deletes it with its volume.
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: PITR_RESTORE_SERVICE_ACCOUNT,
                            automountServiceAccountToken: false,
                            enableServiceLinks: false,
                            terminationGracePeriodSeconds: 60,
                            securityContext: restrictedPodSecurityContext(POSTGRES_UID),
                            initContainers: [
                                {
                                    name: "pgbackrest-restore",
                                    image: args.database.inClusterImage,
                                    imagePullPolicy: "IfNotPresent",
                                    command: restoreInitCommand(t.text),
                                    resources: {
                                        requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "64Mi" },
                                        limits: { cpu: "1000m", memory: "512Mi", "ephemeral-storage": "256Mi" },
                                    },
                                    securityContext: restrictedContainerSecurityContext(),
                                    volumeMounts: postgresMounts(true),
                                },
                            ],
                            containers: [server],
                            volumes: postgresVolumes(PITR_CONFIGMAP),
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data", labels },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                resources: { requests: { storage: args.database.inClusterStorage } },
                            },
                        },
                    ],
                },
            },
            // Pulumi waits until the copy is ready = recovered and promoted; a large restore takes hours.
            { ...child, dependsOn: [sa], customTimeouts: { create: "6h", update: "6h" } },
        );
        this.registerOutputs({ instance, target: t.text });
    }
}
