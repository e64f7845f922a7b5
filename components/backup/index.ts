// Backups of kline-analytics: the S3 bucket with its IRSA roles (BackupBucket) and the Kubernetes
// side (BackupJobs: the database roles' Secret, ServiceAccounts, the daily CronJob, an on-demand
// restore Job, NetworkPolicy). createBackups is the one entry point stack.ts calls.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/types";
import { BackupBucket } from "./bucket";
import {
    BACKUP_CRONJOB_NAME,
    BACKUP_SERVICE_ACCOUNT,
    DB_ROLE_SECRET,
    DB_ROLE_SECRET_KEYS,
    JobSettings,
    NETWORK_POLICY_NAME,
    RESTORE_SERVICE_ACCOUNT,
    backupCronJobSpec,
    backupNetworkPolicySpec,
    podLabels,
    restoreJobName,
    restoreJobSpec,
} from "./jobs";

export * from "./bucket";
export * from "./jobs";
export * from "./policies";
export * from "./pitr";
export * from "./pitr-config";

/** The Prometheus series (kube-state-metrics) that shows when the last backup succeeded. */
export const BACKUP_FRESHNESS_METRIC = "kube_cronjob_status_last_successful_time";

export interface BackupJobsArgs {
    namespace: pulumi.Input<string>;
    settings: JobSettings;
    writerRoleArn: pulumi.Input<string>;
    readerRoleArn: pulumi.Input<string>;
}

export class BackupJobs extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;
    public readonly restoreJob?: k8s.batch.v1.Job;

    constructor(name: string, args: BackupJobsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:backup:BackupJobs", name, {}, opts);
        const s = args.settings;
        const child = { parent: this };
        const namespace = args.namespace;
        const labels = { ...s.labels, ...podLabels(s, "backup") };

        // The passwords of the jobs' own database roles (Pulumi secrets; config refuses them unset).
        const roles = s.backup.roles;
        const roleSecret = new k8s.core.v1.Secret(
            `${name}-db-roles`,
            {
                metadata: { name: DB_ROLE_SECRET, namespace, labels },
                type: "Opaque",
                stringData: {
                    [DB_ROLE_SECRET_KEYS.backup]: roles.backupPassword ?? pulumi.secret(""),
                    [DB_ROLE_SECRET_KEYS.restore]: roles.restorePassword ?? pulumi.secret(""),
                },
            },
            child,
        );
        const writerSa = new k8s.core.v1.ServiceAccount(
            `${name}-serviceaccount`,
            {
                metadata: {
                    name: BACKUP_SERVICE_ACCOUNT,
                    namespace,
                    labels,
                    annotations: { "eks.amazonaws.com/role-arn": args.writerRoleArn },
                },
                automountServiceAccountToken: false,
            },
            child,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-networkpolicy`,
            { metadata: { name: NETWORK_POLICY_NAME, namespace, labels }, spec: backupNetworkPolicySpec(s.database, s.httpsEgressCidrs) },
            child,
        );
        this.cronJob = new k8s.batch.v1.CronJob(
            `${name}-cronjob`,
            { metadata: { name: BACKUP_CRONJOB_NAME, namespace, labels }, spec: backupCronJobSpec(s) },
            { ...child, dependsOn: [roleSecret, writerSa] },
        );

        if (s.backup.restore) {
            const restoreLabels = { ...s.labels, ...podLabels(s, "restore") };
            const readerSa = new k8s.core.v1.ServiceAccount(
                `${name}-restore-serviceaccount`,
                {
                    metadata: {
                        name: RESTORE_SERVICE_ACCOUNT,
                        namespace,
                        labels: restoreLabels,
                        annotations: { "eks.amazonaws.com/role-arn": args.readerRoleArn },
                    },
                    automountServiceAccountToken: false,
                },
                child,
            );
            this.restoreJob = new k8s.batch.v1.Job(
                `${name}-restore`,
                {
                    metadata: {
                        name: restoreJobName(s.backup.restore),
                        namespace,
                        labels: restoreLabels,
                        // A restore can take hours: `pulumi up` starts it and does not wait for it.
                        annotations: { "pulumi.com/skipAwait": "true" },
                    },
                    spec: restoreJobSpec(s),
                },
                { ...child, dependsOn: [roleSecret, readerSa] },
            );
        }
        this.registerOutputs({ cronJob: this.cronJob.metadata.name });
    }
}

export interface BackupProviders {
    aws: pulumi.ProviderResource;
    kubernetes: pulumi.ProviderResource;
}

/** The backup bucket and its roles (created first: the in-cluster database's pgBackRest writes into it too). */
export function createBackupBucket(cfg: StackConfig, providers: BackupProviders): BackupBucket {
    return new BackupBucket(
        "backup",
        {
            environment: cfg.environment,
            retentionDays: cfg.backup.retentionDays,
            prefix: cfg.backup.prefix,
            encryption: cfg.backup.encryption,
            objectLockDays: cfg.backup.objectLockDays,
            accessLogging: cfg.backup.accessLogging,
            region: cfg.aws.region,
            oidcProviderArn: cfg.aws.oidcProviderArn,
            oidcProviderUrl: cfg.aws.oidcProviderUrl,
            namespace: cfg.namespace,
            writerServiceAccount: BACKUP_SERVICE_ACCOUNT,
            readerServiceAccount: RESTORE_SERVICE_ACCOUNT,
            pitrPrefix: cfg.pitr?.prefix,
        },
        { providers: [providers.aws] },
    );
}

/**
 * Everything backups need for a stack, or nothing when it takes none (the canary shares
 * production's). Returns the stack outputs of the area.
 */
export function createBackups(
    cfg: StackConfig,
    providers: BackupProviders,
    appNamespace: pulumi.Input<string>,
    existingBucket?: BackupBucket,
) {
    if (!cfg.backup.enabled) {
        return {
            outputs: { enabled: false, servedBy: cfg.environment === "canary" ? "the production stack" : "none (backupEnabled is false)" },
        };
    }
    const bucket = existingBucket ?? createBackupBucket(cfg, providers);
    const jobs = new BackupJobs(
        "backup",
        {
            namespace: appNamespace,
            writerRoleArn: bucket.writerRoleArn,
            readerRoleArn: bucket.readerRoleArn,
            settings: {
                backup: cfg.backup,
                database: cfg.database,
                region: cfg.aws.region,
                bucketName: bucket.bucketName,
                labels: cfg.labels,
                httpsEgressCidrs: cfg.network.backupHttpsEgressCidrs,
            },
        },
        { providers: [providers.kubernetes] },
    );
    return {
        bucket,
        jobs,
        outputs: {
            enabled: true,
            bucket: bucket.bucketName,
            bucketArn: bucket.bucketArn,
            writerRoleArn: bucket.writerRoleArn,
            readerRoleArn: bucket.readerRoleArn,
            cronJob: jobs.cronJob.metadata.name,
            schedule: `${cfg.backup.schedule} (${cfg.backup.timeZone})`,
            retentionDays: cfg.backup.retentionDays,
            freshnessMetric: pulumi.interpolate`${BACKUP_FRESHNESS_METRIC}{namespace="${cfg.namespace}", cronjob="${jobs.cronJob.metadata.name}"}`,
            restoreJob: jobs.restoreJob?.metadata.name,
        },
    };
}
