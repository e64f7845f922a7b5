// Backup alerts: the nightly backup CronJob (last success too old, a failed Job, runs not
// scheduled, a missed schedule, the CronJob suspended) and point-in-time recovery of the
// in-cluster database with pgBackRest (WAL archiving failing or lagging, backups too old, a failed
// `pgbackrest verify`, its metrics missing). Stable track only; each part only when the stack
// runs that kind of backup.
import { AlertFactory } from "./alert";
import { promql, sel } from "./promql";
import { AlertingRule, PitrRuleParams, RuleParams } from "./types";

/** Slack before a PITR backup counts as late: the agent's round, the backup's own run time. */
export const PITR_BACKUP_GRACE_SECONDS = { incremental: 2 * 3600, full: 6 * 3600 } as const;
/** WAL segments waiting for archiving (archive_timeout switches one a minute) before archiving counts as lagging. */
export const PITR_READY_SEGMENTS_MAX = 5;

export function backupAlerts(p: RuleParams, f: AlertFactory, cronjob: string): AlertingRule[] {
    const t = p.thresholds;
    const cj = sel({ namespace: p.namespace, cronjob });
    const notSuspended = promql`
        unless on (namespace, cronjob)
        max by (namespace, cronjob) (kube_cronjob_spec_suspend${cj}) > 0
    `;
    /**
     * Seconds since the CronJob's timestamp `metric` (its last successful or last scheduled run).
     * A CronJob that has none yet (never succeeded, never scheduled) counts from its creation.
     */
    const since = (metric: string) => promql`
        time() - max by (namespace, cronjob) (${metric}${cj})
        or
        (time() - max by (namespace, cronjob) (kube_cronjob_created${cj}))
          unless on (namespace, cronjob) ${metric}${cj}
    `;
    const failed = sel({ namespace: p.namespace, condition: "true" });
    const ownedByCronJob = sel({ namespace: p.namespace, owner_kind: "CronJob", owner_name: cronjob });
    return [
        f.alert({
            name: "KlineAnalyticsBackupTooOld",
            severity: "warning",
            expr: promql`
                (
                  ${since("kube_cronjob_status_last_successful_time")}
                ) > ${t.backupMaxAgeHours} * 3600
            `,
            for: "5m",
            summary: "No kline-analytics backup has succeeded recently.",
            description: `The last successful run of CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} was {{ $value | humanizeDuration }} ago (limit ${t.backupMaxAgeHours}h).`,
        }),
        f.alert({
            name: "KlineAnalyticsBackupJobFailed",
            severity: "warning",
            // kube_job_failed is the Job's Failed condition (retries exhausted or deadline passed);
            // kube_job_status_failed counts failed pods, which a Job that succeeded on a retry also has.
            expr: promql`
                max by (namespace, job_name) (kube_job_failed${failed} > 0)
                * on (namespace, job_name) group_left (owner_name)
                max by (namespace, job_name, owner_name) (kube_job_owner${ownedByCronJob})
            `,
            summary: "A kline-analytics backup job failed.",
            description:
                "Backup Job {{ $labels.namespace }}/{{ $labels.job_name }} of CronJob {{ $labels.owner_name }} failed. Delete the Job once the cause is fixed to clear this alert.",
        }),
        // Scheduling: the CronJob controller creates no Job at all, so nothing fails and nothing is
        // logged. A suspended CronJob is reported as such, not as a missed schedule.
        f.alert({
            name: "KlineAnalyticsBackupNotScheduled",
            severity: "warning",
            expr: promql`
                (
                  (
                    ${since("kube_cronjob_status_last_schedule_time")}
                  ) > ${t.backupMaxAgeHours} * 3600
                )
                ${notSuspended}
            `,
            for: "5m",
            summary: "The kline-analytics backup CronJob has not been scheduled recently.",
            description: `CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} last scheduled a backup run {{ $value | humanizeDuration }} ago (limit ${t.backupMaxAgeHours}h) although it is not suspended.`,
        }),
        f.alert({
            name: "KlineAnalyticsBackupScheduleMissed",
            severity: "warning",
            // kube-state-metrics' next schedule time is the first slot after the last scheduled run.
            expr: promql`
                (
                  time() - max by (namespace, cronjob) (kube_cronjob_next_schedule_time${cj}) > ${t.backupScheduleLateHours} * 3600
                )
                ${notSuspended}
            `,
            for: "5m",
            summary: "The kline-analytics backup CronJob missed its schedule.",
            description: `The next run of CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} was due {{ $value | humanizeDuration }} ago and has not been scheduled (limit ${t.backupScheduleLateHours}h).`,
        }),
        f.alert({
            name: "KlineAnalyticsBackupSuspended",
            severity: "warning",
            expr: promql`max by (namespace, cronjob) (kube_cronjob_spec_suspend${cj}) > 0`,
            for: "1h",
            summary: "The kline-analytics backup CronJob is suspended.",
            description:
                "CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has been suspended for over an hour: no backup runs until it is resumed.",
        }),
    ];
}

export function pitrAlerts(p: RuleParams, f: AlertFactory, pitr: PitrRuleParams): AlertingRule[] {
    const db = { namespace: p.namespace, job: pitr.job };
    const d = sel(db);
    const full = sel({ ...db, type: "full" });
    const incrLimit = pitr.incrementalEverySeconds + PITR_BACKUP_GRACE_SECONDS.incremental;
    const fullLimit = pitr.fullEverySeconds + PITR_BACKUP_GRACE_SECONDS.full;
    const last = "kline_pitr_backup_last_success_timestamp_seconds";
    return [
        f.alert({
            name: "KlineAnalyticsWalArchivingFailing",
            severity: "critical",
            // PostgreSQL retries a segment that fails to archive every minute: a rate that stays
            // above zero for 10 minutes is archiving that does not recover by itself.
            expr: promql`max by (namespace, job) (rate(pg_stat_archiver_failed_count${d}[5m])) > 0`,
            for: "10m",
            summary: "WAL archiving of the kline-analytics database fails.",
            description:
                "PostgreSQL in {{ $labels.namespace }} cannot archive WAL to the pgBackRest repository: no instant after the last archived segment can be restored, and WAL piles up on the database volume until it is full.",
        }),
        f.alert({
            name: "KlineAnalyticsWalArchivingLagging",
            severity: "warning",
            expr: promql`max by (namespace, job) (kline_pitr_wal_ready_segments${d}) > ${PITR_READY_SEGMENTS_MAX}`,
            for: "10m",
            summary: "WAL archiving of the kline-analytics database lags.",
            description: `{{ $value }} finished WAL segments in {{ $labels.namespace }} wait to be archived (more than ${PITR_READY_SEGMENTS_MAX} for 10 minutes): the newest restorable instant falls behind.`,
        }),
        f.alert({
            name: "KlineAnalyticsPitrBackupTooOld",
            severity: "warning",
            expr: promql`time() - max by (namespace, job) (${last}${d}) > ${incrLimit}`,
            for: "5m",
            summary: "No recent pgBackRest backup of the kline-analytics database.",
            description: `The newest pgBackRest backup in {{ $labels.namespace }} ended {{ $value | humanizeDuration }} ago; one is due every ${showDuration(pitr.incrementalEverySeconds)} (limit ${showDuration(incrLimit)}). Restores replay ever more WAL.`,
        }),
        f.alert({
            name: "KlineAnalyticsPitrFullBackupTooOld",
            severity: "warning",
            expr: promql`time() - max by (namespace, job) (${last}${full}) > ${fullLimit}`,
            for: "5m",
            summary: "No recent full pgBackRest backup of the kline-analytics database.",
            description: `The newest full pgBackRest backup in {{ $labels.namespace }} ended {{ $value | humanizeDuration }} ago; one is due every ${showDuration(pitr.fullEverySeconds)} (limit ${showDuration(fullLimit)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsPitrVerifyFailed",
            severity: "critical",
            expr: promql`max by (namespace, job) (kline_pitr_verify_problems${d}) > 0`,
            summary: "pgBackRest found a bad file in the kline-analytics repository.",
            description:
                "The last `pgbackrest verify` in {{ $labels.namespace }} reported {{ $value }} missing or corrupt file(s): a restore that needs them fails. Take a new full backup and find the cause.",
        }),
        f.alert({
            name: "KlineAnalyticsPitrMetricsAbsent",
            severity: "warning",
            expr: promql`
                absent(kline_pitr_agent_last_round_timestamp_seconds${d})
                or
                absent(pg_stat_archiver_archived_count${d})
            `,
            for: "15m",
            summary: "The kline-analytics database's backup metrics are missing.",
            description:
                "Prometheus has no pgBackRest agent or postgres_exporter series for the database in {{ $labels.namespace }}: the archiving and backup alerts cannot fire.",
        }),
    ];
}

/** A number of seconds as the alert descriptions write it: 7d, 26h, 90m. */
function showDuration(seconds: number): string {
    return seconds % 86400 === 0 ? `${seconds / 86400}d` : seconds % 3600 === 0 ? `${seconds / 3600}h` : `${Math.round(seconds / 60)}m`;
}
