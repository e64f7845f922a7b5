// The environment matrix: one row per environment, every difference between the four environments
// that is not a deployment detail (hosts, credentials, image tag). A section an environment does not
// have is left out (the canary takes no backups and installs no monitoring or logging: production's
// serve it). A stack overrides a value only by setting its key in Pulumi.<stack>.yaml; components
// receive the decided values, never the environment's name to branch on.
import { AlertThresholds, AntiAffinity, EnvironmentName, LogLevel, PodResources } from "./types";

export interface AppDefaults {
    replicas: number;
    cpuRequest: string;
    cpuLimit: string;
    memoryRequest: string;
    memoryLimit: string;
    javaHeap: string;
    logLevel: LogLevel;
    logSampleRate: number;
    /** Days the app's logs are kept (production's Elasticsearch keeps the canary's). */
    logRetentionDays: number;
    scrapeInterval: string;
    antiAffinity: AntiAffinity;
    zoneSpread: boolean;
    hpaEnabled: boolean;
    hpaMaxReplicas: number;
}

export interface BackupDefaults {
    schedule: string;
    retentionDays: number;
    concurrency: number;
}

export interface MonitoringDefaults {
    prometheusReplicas: number;
    prometheusRetention: string;
    prometheusStorage: string;
    prometheusResources: PodResources;
    alertmanagerReplicas: number;
    alertmanagerStorage: string;
    podAntiAffinity: "soft" | "hard";
    /** Whether the pager and chat secrets must be set (development may run without receivers). */
    receiversRequired: boolean;
    blackboxReplicas: number;
}

export interface LoggingDefaults {
    elasticsearchNodes: number;
    /** Size of each node's `elasticsearch-data` volume. */
    elasticsearchStorage: string;
    /** Memory request = limit of each node. */
    elasticsearchMemory: string;
    /** CPU request = limit of each node (Guaranteed QoS together with memory). */
    elasticsearchCpu: string;
    /** JVM heap (-Xms = -Xmx): half the memory, the rest is Lucene's filesystem cache and off-heap. */
    elasticsearchHeap: string;
    /** Spread nodes over availability zones and tell Elasticsearch the zone (shard allocation awareness). */
    elasticsearchZoneAwareness: boolean;
    kibanaCount: number;
    /** Hot-phase rollover: at least daily, or at this primary shard size. */
    rolloverMaxPrimaryShardSize: string;
}

export interface Environment {
    /** Objects whose loss loses data (the app namespace, the backup bucket and its key) are `protect`ed. */
    protect: boolean;
    /** The stack runs its own PostgreSQL in the app namespace. */
    dbInCluster: boolean;
    app: AppDefaults;
    alerts: AlertThresholds;
    /** Unset: the stack takes no backups by default. */
    backup?: BackupDefaults;
    /** Unset: the stack installs no monitoring. */
    monitoring?: MonitoringDefaults;
    /** Unset: the stack installs no logging. */
    logging?: LoggingDefaults;
}

export const podResources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string): PodResources => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

/** The pod size of staging and of the canary (one production-like pod beside production's). */
const MEDIUM_POD = { cpuRequest: "500m", cpuLimit: "1000m", memoryRequest: "2Gi", memoryLimit: "2Gi", javaHeap: "1g" };

/** Production's alert thresholds; development is noisy and small, so its business floor is lower. */
const ALERTS: AlertThresholds = {
    errorRatio: 0.05,
    latencyP95Seconds: 1,
    heapUsedRatio: 0.9,
    cpuLimitRatio: 0.9,
    containerMemoryLimitRatio: 0.95,
    cpuThrottledRatio: 0.25,
    gcAvgPauseSeconds: 0.5,
    gcTimeRatio: 0.1,
    minSignalsPerSecond: 1,
    orderProcessingP95Seconds: 0.25,
    matchingEngineP99Seconds: 1,
    ocrErrorRatio: 0.1,
    segmentationErrorRatio: 0.1,
    restartsPerHour: 2,
    backupMaxAgeHours: 26,
    backupScheduleLateHours: 1,
    probeSlowSeconds: 2,
    certWarningDays: 14,
    certCriticalDays: 3,
};

export const ENVIRONMENTS: Record<EnvironmentName, Environment> = {
    development: {
        protect: false,
        dbInCluster: true,
        app: {
            replicas: 1,
            cpuRequest: "100m",
            cpuLimit: "250m",
            memoryRequest: "512Mi",
            memoryLimit: "512Mi",
            javaHeap: "256m",
            logLevel: "DEBUG",
            logSampleRate: 0.1,
            logRetentionDays: 30,
            scrapeInterval: "30s",
            antiAffinity: "none",
            zoneSpread: false,
            hpaEnabled: false,
            hpaMaxReplicas: 1,
        },
        alerts: { ...ALERTS, minSignalsPerSecond: 0.01, latencyP95Seconds: 2 },
        backup: { schedule: "0 1 * * *", retentionDays: 7, concurrency: 3 },
        monitoring: {
            prometheusReplicas: 1,
            prometheusRetention: "3d",
            prometheusStorage: "10Gi",
            prometheusResources: podResources("250m", "1Gi", "1", "2Gi"),
            alertmanagerReplicas: 1,
            alertmanagerStorage: "1Gi",
            podAntiAffinity: "soft",
            receiversRequired: false,
            blackboxReplicas: 1,
        },
        logging: {
            elasticsearchNodes: 1,
            elasticsearchStorage: "10Gi",
            elasticsearchMemory: "2Gi",
            elasticsearchCpu: "500m",
            elasticsearchHeap: "1g",
            elasticsearchZoneAwareness: false,
            kibanaCount: 1,
            rolloverMaxPrimaryShardSize: "5gb",
        },
    },
    staging: {
        protect: false,
        dbInCluster: false,
        app: {
            replicas: 2,
            ...MEDIUM_POD,
            logLevel: "INFO",
            logSampleRate: 0.05,
            logRetentionDays: 60,
            scrapeInterval: "30s",
            antiAffinity: "preferred",
            zoneSpread: false,
            hpaEnabled: false,
            hpaMaxReplicas: 2,
        },
        alerts: { ...ALERTS, minSignalsPerSecond: 0.1 },
        backup: { schedule: "30 1 * * *", retentionDays: 14, concurrency: 4 },
        monitoring: {
            prometheusReplicas: 1,
            prometheusRetention: "7d",
            prometheusStorage: "50Gi",
            prometheusResources: podResources("500m", "2Gi", "2", "4Gi"),
            alertmanagerReplicas: 1,
            alertmanagerStorage: "2Gi",
            podAntiAffinity: "soft",
            receiversRequired: true,
            blackboxReplicas: 1,
        },
        logging: {
            elasticsearchNodes: 2,
            elasticsearchStorage: "50Gi",
            elasticsearchMemory: "4Gi",
            elasticsearchCpu: "1",
            elasticsearchHeap: "2g",
            elasticsearchZoneAwareness: false,
            kibanaCount: 1,
            rolloverMaxPrimaryShardSize: "20gb",
        },
    },
    production: {
        protect: true,
        dbInCluster: false,
        app: {
            replicas: 3,
            cpuRequest: "1000m",
            cpuLimit: "2000m",
            memoryRequest: "4Gi",
            memoryLimit: "4Gi",
            javaHeap: "2g",
            logLevel: "WARN",
            logSampleRate: 0.01,
            logRetentionDays: 90,
            scrapeInterval: "15s",
            antiAffinity: "required",
            zoneSpread: true,
            hpaEnabled: true,
            hpaMaxReplicas: 10,
        },
        alerts: ALERTS,
        backup: { schedule: "0 2 * * *", retentionDays: 30, concurrency: 5 },
        // Two Prometheus replicas scrape the same targets (Alertmanager deduplicates their alerts);
        // three Alertmanagers keep a gossip quorum through the loss of a node.
        monitoring: {
            prometheusReplicas: 2,
            prometheusRetention: "15d",
            prometheusStorage: "200Gi",
            prometheusResources: podResources("1", "4Gi", "4", "8Gi"),
            alertmanagerReplicas: 3,
            alertmanagerStorage: "5Gi",
            podAntiAffinity: "hard",
            receiversRequired: true,
            blackboxReplicas: 2,
        },
        logging: {
            elasticsearchNodes: 3,
            elasticsearchStorage: "200Gi",
            elasticsearchMemory: "8Gi",
            elasticsearchCpu: "2",
            elasticsearchHeap: "4g",
            elasticsearchZoneAwareness: true,
            kibanaCount: 2,
            rolloverMaxPrimaryShardSize: "50gb",
        },
    },
    // The canary runs one pod beside production, in production's namespace and cluster, and takes a
    // configurable share of production traffic. Production's stack backs up the shared database,
    // scrapes the canary and ships its logs (into a data stream of their own with the canary's
    // retention: canaryLogRetentionDays on the production stack).
    canary: {
        protect: false,
        dbInCluster: false,
        app: {
            replicas: 1,
            ...MEDIUM_POD,
            logLevel: "INFO",
            logSampleRate: 0.1,
            logRetentionDays: 30,
            scrapeInterval: "15s",
            antiAffinity: "preferred",
            zoneSpread: false,
            hpaEnabled: false,
            hpaMaxReplicas: 1,
        },
        alerts: ALERTS,
    },
};

/** The namespace each environment's app runs in. The canary runs in production's. */
export function namespaceFor(environment: EnvironmentName): string {
    return `kline-analytics-${environment === "canary" ? "production" : environment}`;
}
