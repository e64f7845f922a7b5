// Maps a stack's plain settings onto the parameters of the rule, Alertmanager and dashboard
// builders, so the Pulumi component, `npm run rules:export` and the tests build the same data.
import { APP_NAME, BACKUP_CRONJOB_NAME, POSTGRES_NAME, Track } from "../../contract/names";
import { AlertmanagerParams, MuteWindow } from "./alertmanager";
import { DashboardParams } from "./dashboard";
import { DEFAULT_SLO, RuleParams, SloTargets, Thresholds } from "./rules";
import { ALERTMANAGER_SERVICE, PROMETHEUS_SERVICE } from "./values";

/** `job` label of the database pod's metrics: the in-cluster PostgreSQL Service (its ServiceMonitor). */
export const DATABASE_JOB = POSTGRES_NAME;
/** `job` label of the blackbox Probe of the app's external health URL (Probe spec.jobName). */
export const PROBE_JOB = "kline-analytics-blackbox";

/** Values that stand in for receiver secrets outside a Pulumi deployment (exports, tests). */
export const PLACEHOLDER_SECRETS = {
    pagerdutyRoutingKey: "placeholder-pagerduty-routing-key",
    slackWebhookUrl: "https://hooks.slack.invalid/services/placeholder",
    heartbeatUrl: "https://heartbeat.invalid/placeholder",
} as const;

export interface RuleTarget {
    environment: string;
    namespace: string;
    track: Track;
    /** The track's Deployment and Service name (`kline-analytics`, `kline-analytics-canary`). */
    appName: string;
    runbookBaseUrl: string;
    /** The stack runs the backup CronJob in this namespace. */
    backups: boolean;
    /** The stack probes the app's external URL with the blackbox exporter. */
    probe: boolean;
    /** The in-cluster database runs point-in-time recovery with this schedule (PITR alerts apply). */
    pitr?: { fullEverySeconds: number; incrementalEverySeconds: number };
    /**
     * Namespace of the kube-prometheus-stack the stack installs: its Prometheus' rule evaluation
     * and its Alertmanager's notifications are alerted on. Undefined: installs none (canary).
     */
    monitoringNamespace?: string;
    maintenanceMode: boolean;
    thresholds: Thresholds;
    slo?: SloTargets;
}

export function ruleParamsFor(t: RuleTarget): RuleParams {
    return {
        environment: t.environment,
        namespace: t.namespace,
        track: t.track,
        job: t.appName,
        deployment: t.appName,
        // The application container is named after the app (components/app).
        container: APP_NAME,
        runbookBaseUrl: t.runbookBaseUrl,
        thresholds: t.thresholds,
        slo: t.slo ?? DEFAULT_SLO,
        backupCronJob: t.track === "stable" && t.backups ? BACKUP_CRONJOB_NAME : undefined,
        probeJob: t.track === "stable" && t.probe ? PROBE_JOB : undefined,
        pitr: t.track === "stable" && t.pitr ? { job: DATABASE_JOB, ...t.pitr } : undefined,
        // The chart's ServiceMonitors scrape Prometheus and Alertmanager with `job` = their Service.
        selfMonitoring:
            t.track === "stable" && t.monitoringNamespace !== undefined
                ? { namespace: t.monitoringNamespace, prometheusJob: PROMETHEUS_SERVICE, alertmanagerJob: ALERTMANAGER_SERVICE }
                : undefined,
        maintenanceMode: t.maintenanceMode,
    };
}

export function dashboardParams(): DashboardParams {
    return { container: APP_NAME, backupCronJob: BACKUP_CRONJOB_NAME, probeJob: PROBE_JOB };
}

/** Alertmanager parameters with placeholder secrets (for files written outside Pulumi). */
export function placeholderAlertmanagerParams(muteWindows: MuteWindow[] = []): AlertmanagerParams {
    return {
        ...PLACEHOLDER_SECRETS,
        slackChannel: "#kline-alerts",
        canarySlackChannel: "#kline-canary",
        muteWindows,
    };
}
