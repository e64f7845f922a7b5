// The environment matrix (shared/DESIGN.md "Environments"). Every difference between the four
// environments that is not a deployment detail (hosts, credentials, image tag) lives here; a stack
// overrides a value only by setting its key in Pulumi.<stack>.yaml.
import { AntiAffinity, EnvironmentName, LogLevel } from "./types";

export interface EnvironmentDefaults {
    replicas: number;
    cpuRequest: string;
    cpuLimit: string;
    memoryRequest: string;
    memoryLimit: string;
    javaHeap: string;
    logLevel: LogLevel;
    logSampleRate: number;
    logRetentionDays: number;
    backupEnabled: boolean;
    backupSchedule: string;
    backupRetentionDays: number;
    backupConcurrency: number;
    scrapeInterval: string;
    antiAffinity: AntiAffinity;
    zoneSpread: boolean;
    hpaEnabled: boolean;
    hpaMaxReplicas: number;
    dbInCluster: boolean;
}

export const ENVIRONMENTS: Record<EnvironmentName, EnvironmentDefaults> = {
    development: {
        replicas: 1,
        cpuRequest: "100m",
        cpuLimit: "250m",
        memoryRequest: "512Mi",
        memoryLimit: "512Mi",
        javaHeap: "256m",
        logLevel: "DEBUG",
        logSampleRate: 0.1,
        logRetentionDays: 30,
        backupEnabled: true,
        backupSchedule: "0 1 * * *",
        backupRetentionDays: 7,
        backupConcurrency: 3,
        scrapeInterval: "30s",
        antiAffinity: "none",
        zoneSpread: false,
        hpaEnabled: false,
        hpaMaxReplicas: 1,
        dbInCluster: true,
    },
    staging: {
        replicas: 2,
        cpuRequest: "500m",
        cpuLimit: "1000m",
        memoryRequest: "2Gi",
        memoryLimit: "2Gi",
        javaHeap: "1g",
        logLevel: "INFO",
        logSampleRate: 0.05,
        logRetentionDays: 60,
        backupEnabled: true,
        backupSchedule: "30 1 * * *",
        backupRetentionDays: 14,
        backupConcurrency: 4,
        scrapeInterval: "30s",
        antiAffinity: "preferred",
        zoneSpread: false,
        hpaEnabled: false,
        hpaMaxReplicas: 2,
        dbInCluster: false,
    },
    production: {
        replicas: 3,
        cpuRequest: "1000m",
        cpuLimit: "2000m",
        memoryRequest: "4Gi",
        memoryLimit: "4Gi",
        javaHeap: "2g",
        logLevel: "WARN",
        logSampleRate: 0.01,
        logRetentionDays: 90,
        backupEnabled: true,
        backupSchedule: "0 2 * * *",
        backupRetentionDays: 30,
        backupConcurrency: 5,
        scrapeInterval: "15s",
        antiAffinity: "required",
        zoneSpread: true,
        hpaEnabled: true,
        hpaMaxReplicas: 10,
        dbInCluster: false,
    },
    // The canary shares production's namespace, database and backups; it runs one pod next to
    // production and takes a configurable share of production traffic.
    canary: {
        replicas: 1,
        cpuRequest: "500m",
        cpuLimit: "1000m",
        memoryRequest: "2Gi",
        memoryLimit: "2Gi",
        javaHeap: "1g",
        logLevel: "INFO",
        logSampleRate: 0.1,
        logRetentionDays: 30,
        backupEnabled: false,
        backupSchedule: "",
        backupRetentionDays: 30,
        backupConcurrency: 5,
        scrapeInterval: "15s",
        antiAffinity: "preferred",
        zoneSpread: false,
        hpaEnabled: false,
        hpaMaxReplicas: 1,
        dbInCluster: false,
    },
};

/** The namespace each environment's app runs in. The canary runs in production's. */
export function namespaceFor(environment: EnvironmentName): string {
    return `kline-analytics-${environment === "canary" ? "production" : environment}`;
}
