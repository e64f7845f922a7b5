// Names and labels more than one area relies on: the app's Deployment and Service, the database
// Secret the canary shares with production, the backup CronJob the alerts watch, and the pod labels
// NetworkPolicies select. Each is defined here once; a rename here renames it everywhere.

/** The application: Deployment, Service and container name, and its pods' `app.kubernetes.io/name`. */
export const APP_NAME = "kline-analytics";
/** The canary's Deployment and Service (its pods keep APP_NAME as their name label). */
export const CANARY_APP_NAME = `${APP_NAME}-canary`;

/** Which release a Deployment runs: production's Service selects `track: stable` only. */
export type Track = "stable" | "canary";

/** Label keys the selectors use. */
export const NAME_LABEL = "app.kubernetes.io/name";
export const INSTANCE_LABEL = "app.kubernetes.io/instance";
export const TRACK_LABEL = "track";

/** The database connection Secret the app reads; the canary reads production's. */
export const DB_SECRET_NAME = "kline-analytics-db";
/**
 * The backup CronJob. kube-state-metrics exposes `kube_cronjob_status_last_successful_time{cronjob=...}`
 * for it, which the backup freshness alert and the dashboard watch.
 */
export const BACKUP_CRONJOB_NAME = "kline-analytics-backup";
/** The in-cluster PostgreSQL: StatefulSet, Service (so its metrics `job`) and pod name label. */
export const POSTGRES_NAME = "kline-analytics-postgresql";
/** The name label of a copy of the database restored to an instant (components/backup/pitr.ts). */
export const POSTGRES_RESTORE_NAME = `${POSTGRES_NAME}-pitr`;

/** The app's pods, both tracks (what the app namespace's NetworkPolicies select). */
export const APP_PODS: Record<string, string> = { [NAME_LABEL]: APP_NAME };
/** The pods of one track: what that track's Service (and its ServiceMonitor) selects. */
export function trackPods(track: Track): Record<string, string> {
    return { [NAME_LABEL]: APP_NAME, [INSTANCE_LABEL]: APP_NAME, [TRACK_LABEL]: track };
}
/** The backup and restore pods (named after the CronJob); the in-cluster database admits them. */
export const BACKUP_PODS: Record<string, string> = { [NAME_LABEL]: BACKUP_CRONJOB_NAME };
/** The in-cluster database's pods. */
export const POSTGRES_PODS: Record<string, string> = { [NAME_LABEL]: POSTGRES_NAME };
