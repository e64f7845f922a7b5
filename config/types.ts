// The typed configuration every component receives. Built once by config/index.ts from the
// stack's Pulumi config; components never read pulumi.Config themselves.
import * as pulumi from "@pulumi/pulumi";

export const ENVIRONMENT_NAMES = ["development", "staging", "production", "canary"] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR";
export type AntiAffinity = "none" | "preferred" | "required";
export type Track = "stable" | "canary";

export interface ResourceQuantities {
    cpu: string; // Kubernetes quantity, e.g. "500m"
    memory: string; // Kubernetes quantity, e.g. "2Gi"
}

export interface AppConfig {
    /** Base name of every app object: `kline-analytics`, or `kline-analytics-canary` for the canary track. */
    name: string;
    track: Track;
    image: string;
    /** The image tag (or the digest when the image is pinned by digest only); becomes the `version` log field. */
    version: string;
    replicas: number;
    resources: { requests: ResourceQuantities; limits: ResourceQuantities };
    /** JVM heap in JVM notation (`-Xms`/`-Xmx`), e.g. "2g". */
    javaHeap: string;
    /** Non-heap JVM limits derived from the container memory limit (see config/validate.ts). */
    jvm: { maxMetaspace: string; maxDirectMemory: string };
    httpPort: number;
    managementPort: number;
    logLevel: LogLevel;
    /** Share of INFO/DEBUG events kept (WARN and ERROR are never sampled). */
    logSampleRate: number;
    antiAffinity: AntiAffinity;
    zoneSpread: boolean;
    hpa: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCpuUtilization: number };
    ingress: {
        host: string;
        className: string;
        tlsSecretName?: string;
        /** Namespace of the ingress controller: the only source allowed to reach the app port. */
        controllerNamespace: string;
    };
    /** Canary routing; present only on the canary track. */
    canary?: {
        trafficPercent: number;
        stableService: string;
        /** The production stack the canary runs beside (a stack reference: [<organization>/<project>/]<stack>). */
        productionStack: string;
    };
}

export interface DatabaseConfig {
    /** true: the stack runs its own PostgreSQL in the app namespace (default in development; a supported choice everywhere but the canary). */
    inCluster: boolean;
    host: string;
    port: number;
    name: string;
    user: string;
    sslMode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
    /** The password as a Pulumi secret; undefined when generated in-cluster (@pulumi/random). */
    password?: pulumi.Output<string>;
    /** Name of an existing Secret (key `password`) to use instead of creating one (canary reuses production's). */
    existingSecretName?: string;
    /** CIDR that NetworkPolicy egress to an external PostgreSQL is allowed to. */
    egressCidr?: string;
    /** Image and volume size of the in-cluster PostgreSQL. */
    inClusterImage: string;
    inClusterStorage: string;
}

export interface BackupConfig {
    enabled: boolean;
    /** Who takes this stack's backups while it takes none itself. */
    servedBy?: string;
    schedule: string;
    timeZone: string;
    retentionDays: number;
    concurrency: number;
    /** Replay window: a restore without a name picks the newest good backup this recent. */
    replayWindow: string;
    /** A restore Job runs while this is set: a named backup, or the newest good one in `window`. */
    restore?: { backupName?: string; window?: string; targetDatabase: string };
    /** Size of the restore pod's /tmp (it holds one compressed backup while restoring). */
    restoreScratchSize: string;
    encryption: "kms" | "s3";
    objectLockDays: number;
    accessLogging: boolean;
    image: string;
    prefix: string;
    /** The database roles of the backup (read-only) and restore (CREATEDB) jobs, never the app's user. */
    roles: {
        backupUser: string;
        restoreUser: string;
        /** Pulumi secrets; required while backups of an external database are enabled (dbInCluster generates them when unset). */
        backupPassword?: pulumi.Output<string>;
        restorePassword?: pulumi.Output<string>;
    };
}

/** Point-in-time recovery of the in-cluster database with pgBackRest (config/pitr.ts). */
export interface PitrConfig {
    /** Key prefix of the pgBackRest repository in the backup bucket, e.g. "pgbackrest/". */
    prefix: string;
    stanza: string;
    /** archive_timeout of the server: at most this much of committed data waits for archiving. */
    archiveTimeoutSeconds: number;
    /** A full backup is taken when the newest one is this old; an incremental one likewise. */
    fullEverySeconds: number;
    incrementalEverySeconds: number;
    /** `pgbackrest verify` runs when the last verification is this old. */
    verifyEverySeconds: number;
    /** Days every instant stays restorable (repo1-retention-full, type time). */
    retentionDays: number;
    /** postgres_exporter sidecar image (pinned). */
    exporterImage: string;
    /** Set: a restored instance beside the live one, recovered to this instant. */
    restoreTarget?: { text: string; epochMs: number; postgres: string; slug: string };
}

/** Alert thresholds of the app's rules (components/monitoring/rules/); one set per environment in config/environments.ts. */
export interface AlertThresholds {
    /** Share of HTTP requests answered 5xx (5m) above which KlineAnalyticsHighErrorRate fires. */
    errorRatio: number;
    /** p95 HTTP latency (seconds, 5m) for KlineAnalyticsHighResponseTime. */
    latencyP95Seconds: number;
    /** Heap used / heap max per pod for KlineAnalyticsHighMemoryUsage. */
    heapUsedRatio: number;
    /** CPU used / CPU limit per pod for KlineAnalyticsHighCPUUsage. */
    cpuLimitRatio: number;
    /** Working set / memory limit per pod (the OOM-kill line) for KlineAnalyticsContainerMemoryNearLimit. */
    containerMemoryLimitRatio: number;
    /** Share of CFS periods throttled for KlineAnalyticsCPUThrottling. */
    cpuThrottledRatio: number;
    /** Mean GC pause (seconds, 5m) for KlineAnalyticsHighGCPause. */
    gcAvgPauseSeconds: number;
    /** Share of wall-clock time a pod spends in GC pauses (5m) for KlineAnalyticsHighGCTime. */
    gcTimeRatio: number;
    /** Signals per second below which KlineAnalyticsLowSignalGeneration fires. */
    minSignalsPerSecond: number;
    /** p95 matching-engine time per order (seconds) for KlineAnalyticsHighOrderProcessingTime. */
    orderProcessingP95Seconds: number;
    /** p99 matching-engine time (seconds) for the critical KlineAnalyticsMatchingEngineHighLatency. */
    matchingEngineP99Seconds: number;
    ocrErrorRatio: number;
    segmentationErrorRatio: number;
    /** Container restarts within one hour for KlineAnalyticsPodRestarting. */
    restartsPerHour: number;
    /** Hours without a successful backup run for KlineAnalyticsBackupTooOld (and without a scheduled one for KlineAnalyticsBackupNotScheduled). */
    backupMaxAgeHours: number;
    /** Hours the CronJob's next run may be overdue for KlineAnalyticsBackupScheduleMissed (its startingDeadlineSeconds). */
    backupScheduleLateHours: number;
    /** Mean blackbox probe duration (seconds) for KlineAnalyticsProbeSlow. */
    probeSlowSeconds: number;
    /** Days before certificate expiry: warning, then critical. */
    certWarningDays: number;
    certCriticalDays: number;
}

export interface AwsConfig {
    region: string;
    oidcProviderArn: string;
    oidcProviderUrl: string;
}

export interface HelmChartRef {
    name: string;
    version: string;
    repo: string;
}

export interface PodResources {
    requests: ResourceQuantities;
    limits: ResourceQuantities;
}

/** A planned window in which Alertmanager mutes the listed routes (config/monitoring.ts). */
export interface MuteWindowConfig {
    name: string;
    routes: Array<"critical" | "warning" | "canary">;
    timeIntervals: Array<{
        times?: Array<{ start_time: string; end_time: string }>;
        weekdays?: string[];
        days_of_month?: string[];
        months?: string[];
        years?: string[];
        location?: string;
    }>;
}

/** What a stack that installs the cluster's monitoring (kube-prometheus-stack) runs. */
export interface MonitoringInstallConfig {
    kubePrometheusStack: HelmChartRef;
    blackboxExporter: HelmChartRef;
    blackboxReplicas: number;
    /** node-exporter needs hostNetwork/hostPID/hostPath: it gets a `privileged` namespace of its own. */
    nodeExporterNamespace: string;
    prometheus: {
        replicas: number;
        retention: string;
        retentionSize: string;
        storage: string;
        storageClass?: string;
        resources: PodResources;
    };
    alertmanager: { replicas: number; retention: string; storage: string; resources: PodResources };
    grafana: { resources: PodResources };
    /** "hard": replicas on different nodes (production); "soft": preferred. */
    podAntiAffinity: "soft" | "hard";
    slackChannel: string;
    canarySlackChannel: string;
    muteWindows: MuteWindowConfig[];
    /**
     * The pager and chat secrets must be set (staging, production). Checked by MonitoringStack, so
     * a preview without them fails naming the key; development may run without receivers.
     */
    receiversRequired: boolean;
}

export interface MonitoringConfig {
    namespace: string;
    scrapeInterval: string;
    maintenanceMode: boolean;
    pagerdutyRoutingKey?: pulumi.Output<string>;
    slackWebhookUrl?: pulumi.Output<string>;
    /** Dead man's switch URL the always-firing Watchdog alert is sent to. */
    heartbeatUrl?: pulumi.Output<string>;
    runbookBaseUrl: string;
    /** The app's external health URL the blackbox exporter probes (stable track only). */
    probeUrl: string;
    thresholds: AlertThresholds;
    /** The monitoring stack this stack installs; undefined on the canary (it uses production's). */
    install?: MonitoringInstallConfig;
}

export interface LoggingConfig {
    operatorNamespace: string;
    namespace: string;
    /** Namespace of the Filebeat DaemonSet: Pod Security `privileged` (hostPath), kept apart from `namespace`. */
    shipperNamespace: string;
    retentionDays: number;
    /** The Elastic stack this stack installs; undefined on the canary stack (production's stack hosts its logs). */
    stack?: ElasticStackConfig;
}

/** Sizes and versions of the Elastic stack (config/logging.ts holds the per-environment matrix). */
export interface ElasticStackConfig {
    operatorChart: { name: string; version: string; repo: string };
    /** Elasticsearch, Kibana and Filebeat version. */
    version: string;
    elasticsearch: {
        nodes: number;
        storage: string;
        storageClass?: string;
        /** Memory request = limit. */
        memory: string;
        /** CPU request = limit. */
        cpu: string;
        /** JVM heap, -Xms = -Xmx (at most half of memory). */
        heap: string;
        zoneAwareness: boolean;
    };
    kibanaCount: number;
    rollover: { maxAge: string; maxPrimaryShardSize: string };
    /** Log data streams the cluster holds, each with its own retention (production also holds the canary's). */
    streams: Array<{ environment: EnvironmentName; retentionDays: number }>;
}

/**
 * Where pods may connect outside their own flows (config/network.ts). NetworkPolicies cannot select
 * the API server or the nodes by label: they are address blocks, given per cluster.
 */
export interface NetworkConfig {
    /** Address blocks of the Kubernetes API server's endpoints (empty on the canary: it installs no cluster services). */
    apiServerCidrs: string[];
    /** The port those endpoints listen on (443 on EKS, 6443 on kubeadm clusters). */
    apiServerPort: number;
    /** Address blocks of the nodes (kubelet 10250 and node-exporter 9100 are scraped there); empty on the canary. */
    nodeCidrs: string[];
    /** HTTPS destinations of the app pods; empty: the app gets no HTTPS egress at all. */
    appHttpsEgressCidrs: string[];
    /** HTTPS destinations of the backup and restore pods (S3, STS); undefined: every public address. */
    backupHttpsEgressCidrs?: string[];
}

export interface StackConfig {
    project: string;
    stack: string;
    environment: EnvironmentName;
    /** Objects whose loss loses data (the app namespace, the backup bucket and its key) are `protect`ed. */
    protect: boolean;
    /** Namespace the app runs in. */
    namespace: string;
    /** false on the canary stack: the production stack owns the namespace and its shared objects. */
    ownsNamespace: boolean;
    /** Labels every object carries. */
    labels: Record<string, string>;
    app: AppConfig;
    database: DatabaseConfig;
    backup: BackupConfig;
    /** Point-in-time recovery of the in-cluster database; undefined with an external database or without backups. */
    pitr?: PitrConfig;
    aws: AwsConfig;
    monitoring: MonitoringConfig;
    logging: LoggingConfig;
    network: NetworkConfig;
    /** What `pulumi preview` and `npm run synth` print as warnings: production overrides in use. */
    warnings: string[];
}
