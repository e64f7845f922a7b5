// Every stack configuration key, declared once: its type, default, allowed values and meaning.
// The reader (config/reader.ts) takes ranges, choices and fixed defaults from here; `npm run
// docs:config` writes Pulumi.yaml's config block and the README's config reference from it. A
// default that differs by environment is "" here and comes from the matrix (config/environments.ts),
// which the descriptions quote.
import { DEFAULT_BACKUP_DB_USER, DEFAULT_BACKUP_IMAGE, DEFAULT_RESTORE_DB_USER } from "./backup";
import { LIMITS } from "../contract/backup";
import { ENVIRONMENTS, Environment, namespaceFor } from "./environments";
import { DEFAULT_STACK_VERSION } from "./logging";
import { DEFAULT_RUNBOOK_BASE_URL } from "./monitoring";
import { DEFAULT_POSTGRES_IMAGE } from "./pitr";
import { ENVIRONMENT_NAMES, EnvironmentName, LogLevel } from "./types";

export interface ConfigKey {
    /** The type Pulumi.yaml declares (stack files hold every value as a string either way). */
    type: "string" | "integer" | "boolean";
    /** Pulumi.yaml's default: "" when unset or taken from the environment matrix; absent when the key is required. */
    default?: string | number | boolean;
    /** Whole numbers: the allowed range; `unit` follows the range in the error message. */
    range?: { min: number; max: number; unit?: string };
    /** The values allowed, for a choice. */
    choices?: readonly string[];
    /** What values are allowed, in words, where no range or choice says it (the README's "allowed" column). */
    allowed?: string;
    /** Set with `pulumi config set --secret`; refused in plain text. */
    secret?: boolean;
    /** A Renovate comment Pulumi.yaml carries above the default (`# renovate: <this>`). */
    renovate?: string;
    description: string;
}

/** Most pods one track may run (replicas and the autoscaler's maximum); Kubernetes itself takes up to 2^31-1. */
export const MAX_REPLICAS = 100;

const LOG_LEVELS: readonly LogLevel[] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/** A matrix value per environment, "a / b / c / d" in the matrix's order; environments without it are left out. */
function perEnvironment(value: (e: Environment) => string | number | boolean | undefined): string {
    return ENVIRONMENT_NAMES.map((n) => value(ENVIRONMENTS[n]))
        .filter((v) => v !== undefined)
        .join(" / ");
}

/** The environments whose matrix row satisfies `test`, in the matrix's order. */
function environmentsWith(test: (e: Environment) => boolean): EnvironmentName[] {
    return ENVIRONMENT_NAMES.filter((n) => test(ENVIRONMENTS[n]));
}

export const CONFIG_KEYS: Record<string, ConfigKey> = {
    environment: {
        type: "string",
        choices: ENVIRONMENT_NAMES,
        description: `Required. One of ${ENVIRONMENT_NAMES.join(", ")}: selects the environment matrix row.`,
    },
    image: {
        type: "string",
        allowed: "registry/repository:tag or @sha256:digest; not latest",
        description:
            "Required. Container image of kline-analytics pinned by tag or digest (registry/repo:1.4.2 or @sha256:...). 'latest' and untagged images are refused.",
    },
    namespace: {
        type: "string",
        default: "",
        allowed: "DNS-1123 label",
        description:
            "Namespace of the app. Default kline-analytics-<environment>; the canary always runs in productionNamespace. Never default, kube-*, the ingress controller's or one the stacks create for monitoring or logging.",
    },
    productionNamespace: {
        type: "string",
        default: namespaceFor("production"),
        allowed: "DNS-1123 label",
        description: "Production's namespace, where the canary stack deploys its track. The same namespaces as for namespace are refused.",
    },
    productionStack: {
        type: "string",
        default: "",
        allowed: "stack reference",
        description:
            "Canary stack only: the production stack as a stack reference (production, or <organization>/<project>/<stack>). Default production, in the canary's organization and project. The canary reads production's namespace from its outputs and fails before creating anything when it is not deployed.",
    },
    replicas: {
        type: "string",
        default: "",
        range: { min: 1, max: MAX_REPLICAS },
        description: `Pod count, 1-${MAX_REPLICAS}. Default ${perEnvironment((e) => e.app.replicas)} (development / staging / production / canary).`,
    },
    cpuRequest: {
        type: "string",
        default: "",
        allowed: "10m–64",
        description: `CPU request (Kubernetes quantity, 10m-64). Default ${perEnvironment((e) => e.app.cpuRequest)}. May not exceed cpuLimit.`,
    },
    cpuLimit: {
        type: "string",
        default: "",
        allowed: "10m–64",
        description: `CPU limit (10m-64). Default ${perEnvironment((e) => e.app.cpuLimit)}.`,
    },
    memoryRequest: {
        type: "string",
        default: "",
        allowed: "64Mi–256Gi",
        description: `Memory request (64Mi-256Gi). Default ${perEnvironment((e) => e.app.memoryRequest)}. May not exceed memoryLimit.`,
    },
    memoryLimit: {
        type: "string",
        default: "",
        allowed: "64Mi–256Gi",
        description: `Memory limit (64Mi-256Gi). Default ${perEnvironment((e) => e.app.memoryLimit)}.`,
    },
    javaHeap: {
        type: "string",
        default: "",
        allowed: "64m–256g",
        description: `JVM heap for -Xms/-Xmx (256m, 2g), at least 64m. Default ${perEnvironment((e) => e.app.javaHeap)}. Must leave max(256Mi, 25% of memoryLimit) for non-heap memory.`,
    },
    logLevel: {
        type: "string",
        default: "",
        choices: LOG_LEVELS,
        description: `Root log level: ${LOG_LEVELS.join(", ")}. Default ${perEnvironment((e) => e.app.logLevel)}.`,
    },
    logSampleRate: {
        type: "string",
        default: "",
        allowed: "(0, 1]",
        description: `Share of INFO/DEBUG events kept, in (0, 1]; WARN and ERROR are never sampled. Default ${perEnvironment((e) => e.app.logSampleRate)}.`,
    },
    logRetentionDays: {
        type: "string",
        default: "",
        range: { min: 1, max: 3650, unit: " (days)" },
        description: `Days logs are kept in Elasticsearch, 1-3650. Default ${perEnvironment((e) => e.app.logRetentionDays)}.`,
    },
    canaryLogRetentionDays: {
        type: "string",
        default: "",
        range: { min: 1, max: 3650, unit: " (days)" },
        description: `Production stack only: days the canary's logs are kept in production's Elasticsearch (their own data stream), 1-3650. Default ${ENVIRONMENTS.canary.app.logRetentionDays}.`,
    },
    logStackVersion: {
        type: "string",
        default: "",
        allowed: "8.8.0 or later, 8.x or 9.x",
        description: `Elasticsearch/Kibana/Filebeat version, exact (8.8 or later, 8.x or 9.x). Default ${DEFAULT_STACK_VERSION}. Not read on canary (no logging stack there).`,
    },
    elasticsearchNodes: {
        type: "string",
        default: "",
        range: { min: 1, max: 9 },
        description: `Elasticsearch node count, 1 to 9. Default ${perEnvironment((e) => e.logging?.elasticsearchNodes)} (${environmentsWith((e) => e.logging !== undefined).join(" / ")}); ${environmentsWith((e) => e.logging === undefined).join(", ")} installs none.`,
    },
    elasticsearchStorage: {
        type: "string",
        default: "",
        allowed: "1Gi–16Ti",
        description: `Size of each node's elasticsearch-data volume, 1Gi-16Ti. Default ${perEnvironment((e) => e.logging?.elasticsearchStorage)}.`,
    },
    elasticsearchStorageClass: {
        type: "string",
        default: "",
        allowed: "DNS-1123 label",
        description: "StorageClass of the elasticsearch-data volumes. Default: the cluster's default class.",
    },
    elasticsearchMemory: {
        type: "string",
        default: "",
        allowed: "1Gi–128Gi",
        description: `Memory request = limit of each Elasticsearch node, 1Gi-128Gi. Default ${perEnvironment((e) => e.logging?.elasticsearchMemory)}.`,
    },
    elasticsearchCpu: {
        type: "string",
        default: "",
        allowed: "100m–32",
        description: `CPU request = limit of each Elasticsearch node, 100m-32. Default ${perEnvironment((e) => e.logging?.elasticsearchCpu)}.`,
    },
    elasticsearchHeap: {
        type: "string",
        default: "",
        allowed: "256m–31g",
        description: `Elasticsearch JVM heap (-Xms = -Xmx), at least 256m, at most half of elasticsearchMemory and 31g. Default ${perEnvironment((e) => e.logging?.elasticsearchHeap)}.`,
    },
    elasticsearchZoneAwareness: {
        type: "string",
        default: "",
        allowed: "true, false",
        description: `true: spread Elasticsearch nodes over zones and allocate shard copies by zone (needs 2+ nodes). Default ${perEnvironment((e) => e.logging?.elasticsearchZoneAwareness)}.`,
    },
    kibanaCount: {
        type: "string",
        default: "",
        range: { min: 1, max: 5 },
        description: `Kibana instances, 1 to 5. Default ${perEnvironment((e) => e.logging?.kibanaCount)}.`,
    },
    antiAffinity: {
        type: "string",
        default: "",
        choices: ["none", "preferred", "required"],
        description: `Pod anti-affinity across nodes: none, preferred or required. Default ${perEnvironment((e) => e.app.antiAffinity)}.`,
    },
    zoneSpread: {
        type: "string",
        default: "",
        allowed: "true, false",
        description: `Spread pods evenly across zones (true/false). Default true in ${environmentsWith((e) => e.app.zoneSpread).join(", ")} only.`,
    },
    hpaEnabled: {
        type: "string",
        default: "",
        allowed: "true, false",
        description: `Run a HorizontalPodAutoscaler (true/false); replicas is its minimum. Default true in ${environmentsWith((e) => e.app.hpaEnabled).join(", ")} only.`,
    },
    hpaMaxReplicas: {
        type: "string",
        default: "",
        range: { min: 1, max: MAX_REPLICAS },
        description: `Autoscaler maximum, at least replicas and at most 100. Default ${environmentsWith((e) => e.app.hpaEnabled)
            .map((n) => `${ENVIRONMENTS[n].app.hpaMaxReplicas} in ${n}`)
            .join(", ")}.`,
    },
    hpaTargetCpuUtilization: {
        type: "integer",
        default: 70,
        range: { min: 10, max: 100, unit: " (percent)" },
        description: "Average CPU utilisation (percent of the request) the autoscaler aims for, 10-100.",
    },
    ingressHost: {
        type: "string",
        allowed: "host name",
        description: "Required. Public host name of the service (ingress-nginx).",
    },
    ingressClassName: {
        type: "string",
        default: "nginx",
        allowed: "DNS-1123 label",
        description: "IngressClass of the ingress-nginx controller.",
    },
    ingressControllerNamespace: {
        type: "string",
        default: "ingress-nginx",
        allowed: "DNS-1123 label",
        description:
            "Namespace of the ingress controller: the only source allowed to reach the app's HTTP port. Never default or a namespace the stacks create for monitoring or logging.",
    },
    ingressTlsSecretName: {
        type: "string",
        default: "",
        allowed: "Kubernetes object name",
        description: "TLS Secret for the host (for example issued by cert-manager). Empty: TLS is terminated in front of the cluster.",
    },
    canaryTrafficPercent: {
        type: "integer",
        default: 10,
        range: { min: 0, max: 100, unit: " (percent of production traffic)" },
        description: "Canary stack only: share of production traffic, 0-100, sent to the canary (ingress-nginx canary-weight).",
    },
    dbInCluster: {
        type: "string",
        default: "",
        allowed: "true, false",
        description: `Run PostgreSQL in the app namespace with a generated password (true/false), with point-in-time recovery by pgBackRest while backups are on. Default true in ${environmentsWith((e) => e.dbInCluster).join(", ")} only; a supported choice for staging and production too (docs/backups.md). Not on canary.`,
    },
    dbHost: {
        type: "string",
        default: "",
        allowed: "host name or address",
        description:
            "PostgreSQL host when dbInCluster is false (required then). An address literal must lie in dbEgressCidr and not be loopback or link-local.",
    },
    dbPort: {
        type: "integer",
        default: 5432,
        range: { min: 1, max: 65535 },
        description: "PostgreSQL port.",
    },
    dbName: {
        type: "string",
        default: "kline_analytics",
        allowed: "PostgreSQL identifier",
        description: "Database name (not template0 or template1).",
    },
    dbUser: {
        type: "string",
        default: "kline",
        allowed: "PostgreSQL identifier",
        description: "Database user.",
    },
    dbPassword: {
        type: "string",
        default: "",
        secret: true,
        allowed: "secret",
        description: "SECRET, required when dbInCluster is false (not on canary): pulumi config set --secret dbPassword <password>.",
    },
    dbSslMode: {
        type: "string",
        default: "",
        choices: ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
        description: "libpq sslmode. Default disable in-cluster, verify-full for an external server.",
    },
    dbEgressCidr: {
        type: "string",
        default: "",
        allowed: "CIDR block",
        description:
            "Address block of the external PostgreSQL, the only database destination NetworkPolicy egress allows (required when dbInCluster is false; not used on the canary, whose pods production's policies cover). IPv4 /16 or narrower, IPv6 /44 or narrower, written with its network address, not touching loopback, link-local or metadata addresses.",
    },
    apiServerCidrs: {
        type: "string",
        default: "",
        allowed: "CIDR blocks, comma-separated",
        description:
            "Address blocks of the Kubernetes API server's endpoints, comma-separated (`kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`; on EKS the cluster VPC's CIDR). The only API-server destination NetworkPolicies allow Filebeat, Prometheus, Grafana, kube-state-metrics and the two operators, and the only source allowed to call the operators' webhooks. Required on every stack but the canary; each block checked like dbEgressCidr.",
    },
    apiServerPort: {
        type: "integer",
        default: 443,
        range: { min: 1, max: 65535 },
        description: "Port of the API server's endpoints (443 on EKS; 6443 on kubeadm clusters).",
    },
    nodeCidrs: {
        type: "string",
        default: "",
        allowed: "CIDR blocks, comma-separated",
        description:
            "Address blocks of the cluster's nodes, comma-separated: Prometheus may scrape the kubelet (10250) and node-exporter (9100) there and nowhere else outside the pod network. Required on every stack but the canary; each block checked like dbEgressCidr.",
    },
    appHttpsEgressCidrs: {
        type: "string",
        default: "",
        allowed: "CIDR blocks, comma-separated",
        description:
            "Address blocks the app pods may reach on 443, comma-separated; unset: no HTTPS egress at all (the app needs none today). Each block checked like dbEgressCidr. Not used on the canary, whose pods production's policies cover.",
    },
    backupHttpsEgressCidrs: {
        type: "string",
        default: "",
        allowed: "CIDR blocks, comma-separated",
        description:
            "Address blocks the backup and restore pods, and an in-cluster database with point-in-time recovery, may reach on 443 (S3 and STS), comma-separated: the subnets of VPC interface endpoints for S3 and STS. Unset: every address but link-local and private ones, because the public AWS endpoints have no fixed address blocks. Each block checked like dbEgressCidr.",
    },
    dbInClusterImage: {
        type: "string",
        default: DEFAULT_POSTGRES_IMAGE,
        renovate: "image versioning=loose",
        allowed: "pinned image",
        description:
            "Image of the in-cluster PostgreSQL: PostgreSQL 15.10 with pgBackRest 2.45 and busybox (images/postgres/Dockerfile; postgres is uid 999).",
    },
    dbInClusterStorage: {
        type: "string",
        default: "10Gi",
        allowed: "1Gi–16Ti",
        description: "Volume size of the in-cluster PostgreSQL, 1Gi-16Ti.",
    },
    backupEnabled: {
        type: "string",
        default: "",
        allowed: "true, false",
        description: `Schedule daily backups (true/false). Default true, except ${environmentsWith((e) => e.backup === undefined).join(", ")} (it shares production's data). Production refuses false unless allowProductionWithoutBackups is true.`,
    },
    allowProductionWithoutBackups: {
        type: "boolean",
        default: false,
        description:
            "Production stack only: true lets production run with backupEnabled false. Without it that stack is refused; while it is true every preview and synth prints a warning.",
    },
    backupSchedule: {
        type: "string",
        default: "",
        allowed: "cron (5 fields) or @daily etc.",
        description: `Cron schedule of the backup CronJob (5 fields, in backupTimeZone); a date that never comes (0 1 30 2 *) is refused. Default ${perEnvironment((e) => e.backup?.schedule)}.`,
    },
    backupTimeZone: {
        type: "string",
        default: "UTC",
        allowed: "IANA time zone",
        description:
            "IANA time zone of backupSchedule, spelled exactly (UTC, Europe/Berlin); unknown zones, other letter cases and old aliases (US/Pacific) are refused.",
    },
    backupRetentionDays: {
        type: "string",
        default: "",
        range: { min: 1, max: 3650, unit: " (days)" },
        description: `Days a backup is kept (bucket lifecycle), 1-3650. Default ${perEnvironment((e) => e.backup?.retentionDays)}.`,
    },
    backupConcurrency: {
        type: "string",
        default: "",
        range: { min: LIMITS.concurrency.min, max: LIMITS.concurrency.max },
        description: `Parallel dump/restore jobs and upload parts, ${LIMITS.concurrency.min}-${LIMITS.concurrency.max}. Default ${perEnvironment((e) => e.backup?.concurrency)}.`,
    },
    backupReplayWindow: {
        type: "string",
        default: "24h",
        allowed: "1h – backupRetentionDays",
        description:
            "A restore without a backup name takes the newest good backup this recent (90m, 24h, 7d): from 1h to backupRetentionDays.",
    },
    backupEncryption: {
        type: "string",
        default: "kms",
        choices: ["kms", "s3"],
        description: "Bucket encryption: kms (a key this stack creates) or s3 (SSE-S3).",
    },
    backupObjectLockDays: {
        type: "integer",
        default: 0,
        range: { min: 0, max: 3650, unit: " (0 disables Object Lock)" },
        description:
            "Object Lock (governance mode) retention in days; 0 disables it. Object Lock can only be enabled when the bucket is created.",
    },
    backupAccessLogging: {
        type: "boolean",
        default: false,
        description: "Log bucket access to a separate log bucket.",
    },
    backupImage: {
        type: "string",
        default: DEFAULT_BACKUP_IMAGE,
        renovate: "image versioning=loose",
        allowed: "pinned image",
        description:
            "Image of the backup and restore jobs (PostgreSQL 16.6 client tools, zstd, Node.js 22.12.0, the backup program and scripts/backup-restore.sh; images/backup/Dockerfile).",
    },
    pitrFullBackupEvery: {
        type: "string",
        default: "",
        allowed: "1d–30d",
        description:
            "In-cluster database with backups only: pgBackRest takes a full backup when the newest one is this old, 1d-30d. Default 7d.",
    },
    pitrIncrementalBackupEvery: {
        type: "string",
        default: "",
        allowed: "1h – pitrFullBackupEvery",
        description:
            "In-cluster database with backups only: pgBackRest takes an incremental backup when the newest backup is this old, 1h to pitrFullBackupEvery. Default 1d.",
    },
    pitrRestoreTarget: {
        type: "string",
        default: "",
        allowed: "RFC 3339 instant",
        description:
            "Set to an RFC 3339 instant (2026-12-02T14:25:00Z) to bring up, on the next `pulumi up`, a second PostgreSQL recovered to that instant beside the live one (docs/backups.md#point-in-time-recovery). Not in the future, not older than backupRetentionDays.",
    },
    restoreBackupName: {
        type: "string",
        default: "",
        allowed: "backup name",
        description: "Set to a backup name (kline_analytics_backup_YYYYMMDD_HHMMSS.dump.zst) to run a restore Job on the next `pulumi up`.",
    },
    restoreWindow: {
        type: "string",
        default: "",
        allowed: "1h – backupRetentionDays",
        description:
            "Set (e.g. 24h) to restore the newest good backup in that window on the next `pulumi up`: from 1h to backupRetentionDays.",
    },
    restoreTargetDb: {
        type: "string",
        default: "",
        allowed: "PostgreSQL identifier",
        description:
            "Database the restore Job restores into (never the live one, postgres, template0 or template1). Default <dbName>_restored.",
    },
    restoreScratchSize: {
        type: "string",
        default: "20Gi",
        allowed: "1Gi–1Ti",
        description:
            "Scratch space (/tmp) of the restore pod, 1Gi-1Ti: room for the uncompressed dump (about the database's size) restores with parallel jobs; room for one compressed backup only restores in one session.",
    },
    backupDbUser: {
        type: "string",
        default: DEFAULT_BACKUP_DB_USER,
        allowed: "PostgreSQL identifier",
        description:
            "Read-only database role the backup CronJob logs in as (member of pg_read_all_data; scripts/db-roles.sql creates it, run by the in-cluster database itself; docs/backups.md). Never dbUser.",
    },
    backupDbPassword: {
        type: "string",
        default: "",
        secret: true,
        allowed: "secret",
        description:
            "SECRET, the password of backupDbUser: pulumi config set --secret backupDbPassword <password>. Required while backups of an external database are enabled; with dbInCluster generated when unset.",
    },
    restoreDbUser: {
        type: "string",
        default: DEFAULT_RESTORE_DB_USER,
        allowed: "PostgreSQL identifier",
        description:
            "Database role the restore Job logs in as (CREATEDB, member of dbUser; scripts/db-roles.sql creates it, run by the in-cluster database itself; docs/backups.md). Never dbUser.",
    },
    restoreDbPassword: {
        type: "string",
        default: "",
        secret: true,
        allowed: "secret",
        description:
            "SECRET, the password of restoreDbUser: pulumi config set --secret restoreDbPassword <password>. Required while backups of an external database are enabled; with dbInCluster generated when unset.",
    },
    oidcProviderArn: {
        type: "string",
        allowed: "IAM OIDC provider ARN",
        description:
            "Required. ARN of the cluster's IAM OIDC provider (IRSA), without wildcards; its provider part must equal oidcProviderUrl.",
    },
    oidcProviderUrl: {
        type: "string",
        allowed: "issuer without https://",
        description: "Required. The cluster's OIDC issuer without https:// (IRSA trust condition).",
    },
    scrapeInterval: {
        type: "string",
        default: "",
        allowed: "5s–1m",
        description: `Prometheus scrape interval of the app, 5s-1m (the alerts' 5m rate windows need 4+ samples). Default ${perEnvironment((e) => e.app.scrapeInterval)}.`,
    },
    maintenanceMode: {
        type: "boolean",
        default: false,
        description: "Silence warning and info alerts for the app namespace during planned work.",
    },
    pagerdutyRoutingKey: {
        type: "string",
        default: "",
        secret: true,
        allowed: "secret",
        description: "SECRET. PagerDuty Events v2 routing key for critical alerts: pulumi config set --secret pagerdutyRoutingKey <key>.",
    },
    slackWebhookUrl: {
        type: "string",
        default: "",
        secret: true,
        allowed: "secret",
        description: "SECRET. Slack incoming-webhook URL for warning alerts: pulumi config set --secret slackWebhookUrl <url>.",
    },
    heartbeatUrl: {
        type: "string",
        default: "",
        secret: true,
        allowed: "secret",
        description:
            "SECRET. Dead man's switch URL the always-firing Watchdog alert is sent to every minute: pulumi config set --secret heartbeatUrl <url>. Required in production unless allowProductionWithoutHeartbeat is true.",
    },
    allowProductionWithoutHeartbeat: {
        type: "boolean",
        default: false,
        description:
            "Production stack only: true lets production run without heartbeatUrl (the Watchdog alert then reaches no dead man's switch). Without it that stack is refused; while it is true every preview and synth prints a warning.",
    },
    runbookBaseUrl: {
        type: "string",
        default: DEFAULT_RUNBOOK_BASE_URL,
        allowed: "https:// URL without #",
        description: "Page of the runbooks that alerts link to; each alert appends its own #anchor (docs/monitoring.md).",
    },
    probeUrl: {
        type: "string",
        default: "",
        allowed: "http(s) URL",
        description:
            "External health URL the blackbox exporter probes. Default https://<ingressHost>/readyz. Loopback, link-local and instance metadata hosts are refused.",
    },
    prometheusReplicas: {
        type: "string",
        default: "",
        range: { min: 1, max: 5 },
        description: `Prometheus replicas (1-5). Default ${perEnvironment((e) => e.monitoring?.prometheusReplicas)}; the canary uses production's monitoring.`,
    },
    prometheusRetention: {
        type: "string",
        default: "",
        allowed: "1d–365d",
        description: `Prometheus retention, 1d-365d (e.g. 15d). Default ${perEnvironment((e) => e.monitoring?.prometheusRetention)}.`,
    },
    prometheusStorage: {
        type: "string",
        default: "",
        allowed: "2Gi–16Ti",
        description: `Prometheus volume per replica (2Gi-16Ti); size-based retention keeps 15% free. Default ${perEnvironment((e) => e.monitoring?.prometheusStorage)}.`,
    },
    prometheusStorageClass: {
        type: "string",
        default: "",
        allowed: "DNS-1123 label",
        description: "StorageClass of the Prometheus volumes (cluster default when unset).",
    },
    alertmanagerReplicas: {
        type: "string",
        default: "",
        range: { min: 1, max: 5 },
        description: `Alertmanager replicas (1-5). Default ${perEnvironment((e) => e.monitoring?.alertmanagerReplicas)}.`,
    },
    slackChannel: {
        type: "string",
        default: "#kline-alerts",
        allowed: "#channel",
        description: "Slack channel of warning alerts.",
    },
    canarySlackChannel: {
        type: "string",
        default: "#kline-canary",
        allowed: "#channel",
        description: "Slack channel of every canary alert (a canary never pages).",
    },
    muteWindows: {
        type: "string",
        default: "[]",
        allowed: "JSON array of windows",
        description:
            'Planned windows as a JSON array: [{"name":"weekly","routes":["warning","canary"],"timeIntervals":[{"weekdays":["sunday"],"times":[{"start_time":"02:00","end_time":"04:00"}]}]}]; critical is muted only when listed.',
    },
};
