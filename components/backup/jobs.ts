// The Kubernetes side of backups as data: the CronJob that runs scripts/backup-restore.sh daily,
// the on-demand restore Job, and the backup pods' NetworkPolicy. Pure functions, tested directly.
// The image carries the script and the program it starts (images/backup/Dockerfile).
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupConfig, DatabaseConfig } from "../../config/types";
import { BACKUP_CRONJOB_NAME, BACKUP_PODS, INSTANCE_LABEL } from "../../contract/names";
import { postgresPeer } from "../app/networkpolicies";
import { PUBLIC_IPV4, inNamespace, ipBlocks, tcp, udp } from "../shared/network";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../contract/security";

/** The backup pods' ServiceAccount (the writer role trusts it), named after the CronJob. */
export const BACKUP_SERVICE_ACCOUNT = BACKUP_CRONJOB_NAME;
export const RESTORE_SERVICE_ACCOUNT = "kline-analytics-restore";
export const NETWORK_POLICY_NAME = "kline-analytics-backup-egress";
/** Where the image keeps backup-restore.sh (and the program under program/). */
export const SCRIPT_PATH = "/opt/kline-backup/backup-restore.sh";
/** The passwords of the backup and restore database roles (from the stack's secret config). */
export const DB_ROLE_SECRET = "kline-analytics-backup-db";
export const DB_ROLE_SECRET_KEYS = { backup: "backup-password", restore: "restore-password" } as const;

/** Deadlines (seconds). The S3 lock outlives the longest backup so a live backup never loses it. */
export const BACKUP_DEADLINE = 4 * 3600;
export const RESTORE_DEADLINE = 6 * 3600;
export const LOCK_TTL = BACKUP_DEADLINE + 1800;

export interface JobSettings {
    backup: BackupConfig;
    database: DatabaseConfig;
    region: string;
    bucketName: pulumi.Input<string>;
    labels: Record<string, string>;
    /** HTTPS destinations (S3, STS): VPC endpoint subnets; undefined: every public address. */
    httpsEgressCidrs?: string[];
}

type EnvVar = k8s.types.input.core.v1.EnvVar;
type PodSpec = k8s.types.input.core.v1.PodSpec;

/**
 * The script's settings (see `backup-restore.sh --help`). Backup logs in as the read-only backup role,
 * restore as the restore role; their passwords come from the DB_ROLE_SECRET Secret.
 */
export function scriptEnv(s: JobSettings, component: "backup" | "restore"): EnvVar[] {
    const user = component === "backup" ? s.backup.roles.backupUser : s.backup.roles.restoreUser;
    const env: EnvVar[] = [
        { name: "BACKUP_S3_BUCKET", value: s.bucketName },
        { name: "BACKUP_S3_PREFIX", value: s.backup.prefix },
        { name: "AWS_REGION", value: s.region },
        { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
        { name: "BACKUP_CONCURRENCY", value: String(s.backup.concurrency) },
        { name: "BACKUP_REPLAY_WINDOW", value: s.backup.replayWindow },
        { name: "BACKUP_LOCK_TTL", value: String(LOCK_TTL) },
        // A retry of the same Job (backoffLimit) may take over the lock its failed pod left behind.
        { name: "BACKUP_LOCK_OWNER", valueFrom: { fieldRef: { fieldPath: "metadata.labels['job-name']" } } },
        { name: "PGHOST", value: s.database.host },
        { name: "PGPORT", value: String(s.database.port) },
        { name: "PGDATABASE", value: s.database.name },
        { name: "PGUSER", value: user },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: DB_ROLE_SECRET, key: DB_ROLE_SECRET_KEYS[component] } } },
        { name: "PGSSLMODE", value: s.database.sslMode },
        { name: "PGAPPNAME", value: BACKUP_CRONJOB_NAME },
        // Read-only root filesystem: everything writable lives in the /tmp emptyDir.
        { name: "HOME", value: "/tmp" },
        { name: "TMPDIR", value: "/tmp" },
        { name: "BACKUP_WORK_DIR", value: "/tmp" },
    ];
    // The emptyDir's sizeLimit, which the free space under /tmp does not show: a restore decides by it
    // whether the uncompressed dump fits (parallel restore) or it restores in one session.
    if (component === "restore") env.push({ name: "BACKUP_WORK_DIR_LIMIT", value: s.backup.restoreScratchSize });
    // verify-ca/verify-full need a CA: libpq >= 16 takes the image's system trust store.
    if (s.database.sslMode.startsWith("verify")) env.push({ name: "PGSSLROOTCERT", value: "system" });
    return env;
}

export function podLabels(s: JobSettings, component: "backup" | "restore"): Record<string, string> {
    return {
        ...s.labels,
        ...BACKUP_PODS,
        [INSTANCE_LABEL]: BACKUP_CRONJOB_NAME,
        "app.kubernetes.io/component": component,
    };
}

/** A pod that passes Pod Security `restricted`, runs the script with `args`, writes only to /tmp. */
export function scriptPodSpec(s: JobSettings, component: "backup" | "restore", args: string[]): PodSpec {
    const restore = component === "restore";
    return {
        serviceAccountName: restore ? RESTORE_SERVICE_ACCOUNT : BACKUP_SERVICE_ACCOUNT,
        // No Kubernetes API access needed; the EKS webhook projects the IRSA token on its own.
        automountServiceAccountToken: false,
        restartPolicy: "Never",
        securityContext: restrictedPodSecurityContext(),
        containers: [
            {
                name: component,
                image: s.backup.image,
                imagePullPolicy: "IfNotPresent",
                command: ["/bin/bash", SCRIPT_PATH],
                args,
                env: scriptEnv(s, component),
                resources: {
                    requests: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "64Mi" },
                    limits: { cpu: "2", memory: "1Gi", "ephemeral-storage": restore ? s.backup.restoreScratchSize : "1Gi" },
                },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
        ],
        volumes: [
            // A backup streams and writes nothing here; a restore holds the uncompressed dump (parallel
            // restore) or, with less room, one compressed backup.
            { name: "tmp", emptyDir: { sizeLimit: restore ? s.backup.restoreScratchSize : "1Gi" } },
        ],
    };
}

export function backupCronJobSpec(s: JobSettings): k8s.types.input.batch.v1.CronJobSpec {
    return {
        schedule: s.backup.schedule,
        timeZone: s.backup.timeZone,
        // Two backups never run at once (the script's lock is the second line of defence).
        concurrencyPolicy: "Forbid",
        // A run missed by up to an hour (controller down, node drain) still starts.
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
            metadata: { labels: podLabels(s, "backup") },
            spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: BACKUP_DEADLINE,
                // The CronJob's history limits prune first; this is the backstop for orphans.
                ttlSecondsAfterFinished: 3 * 86400,
                template: { metadata: { labels: podLabels(s, "backup") }, spec: scriptPodSpec(s, "backup", ["backup"]) },
            },
        },
    };
}

/** Script arguments of the restore Job: a named backup, else the newest good one in the window. */
export function restoreArgs(restore: NonNullable<BackupConfig["restore"]>): string[] {
    const pick = restore.backupName ? [restore.backupName] : ["--window", restore.window!];
    return ["restore", ...pick, "--target-db", restore.targetDatabase];
}

/** Jobs are immutable: a new request (name, window, target) gets a new Job name. */
export function restoreJobName(restore: NonNullable<BackupConfig["restore"]>): string {
    const digest = crypto
        .createHash("sha256")
        .update(JSON.stringify(restoreArgs(restore)))
        .digest("hex")
        .slice(0, 8);
    return `kline-analytics-restore-${digest}`;
}

export function restoreJobSpec(s: JobSettings): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: 1,
        activeDeadlineSeconds: RESTORE_DEADLINE,
        ttlSecondsAfterFinished: 7 * 86400,
        template: { metadata: { labels: podLabels(s, "restore") }, spec: scriptPodSpec(s, "restore", restoreArgs(s.backup.restore!)) },
    };
}

/**
 * Backup and restore pods: no ingress; egress to DNS, PostgreSQL and HTTPS (S3, STS) only. The
 * public S3 and STS endpoints publish no fixed address blocks, so by default HTTPS may go to every
 * public address (never private, shared or link-local ones: the instance metadata service stays
 * out of reach, credentials come from IRSA). With VPC interface endpoints for S3 and STS, their
 * subnets (config backupHttpsEgressCidrs) are the only HTTPS destination.
 */
export function backupNetworkPolicySpec(db: DatabaseConfig, httpsEgressCidrs?: string[]): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: BACKUP_PODS },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [
            { to: [inNamespace("kube-system", { "k8s-app": "kube-dns" })], ports: [udp(53), tcp(53)] },
            { to: [postgresPeer(db)], ports: [tcp(db.port)] },
            { to: httpsEgressCidrs ? ipBlocks(httpsEgressCidrs) : [PUBLIC_IPV4], ports: [tcp(443)] },
        ],
    };
}
