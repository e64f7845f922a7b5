// promtool scenarios of the backup CronJob alerts (components/monitoring/rules/backup.ts): the last
// success too old or never, a failed backup Job, and scheduling — runs not created, the CronJob
// suspended, a changed schedule, a CronJob never scheduled. Production only. The PITR alerts of
// the same rules file are tested in pitr-alerts.integration.test.ts.
import { BACKUP_CRONJOB, BACKUP_JOB, NS, STABLE } from "../deployment";
import { gauge, gaugePhases } from "../world";
import { at, expected, scenario } from "./scenario";

/** The backup CronJob's failures (production only). */
export function stableScenarios() {
    const t = STABLE;
    const backupTooOld = (age: string) =>
        expected(
            "KlineAnalyticsBackupTooOld",
            "warning",
            t,
            { namespace: NS, cronjob: BACKUP_CRONJOB },
            "No kline-analytics backup has succeeded recently.",
            `The last successful run of CronJob ${NS}/${BACKUP_CRONJOB} was ${age} ago (limit 26h).`,
        );
    const cj = { namespace: NS, cronjob: BACKUP_CRONJOB, job: "kube-state-metrics", instance: "10.0.9.20:8080" };
    const cronJobAlert = (name: string, summary: string, description: string) =>
        expected(name, "warning", t, { namespace: NS, cronjob: BACKUP_CRONJOB }, summary, description);
    const notScheduled = (age: string) =>
        cronJobAlert(
            "KlineAnalyticsBackupNotScheduled",
            "The kline-analytics backup CronJob has not been scheduled recently.",
            `CronJob ${NS}/${BACKUP_CRONJOB} last scheduled a backup run ${age} ago (limit 26h) although it is not suspended.`,
        );
    const scheduleMissed = (late: string) =>
        cronJobAlert(
            "KlineAnalyticsBackupScheduleMissed",
            "The kline-analytics backup CronJob missed its schedule.",
            `The next run of CronJob ${NS}/${BACKUP_CRONJOB} was due ${late} ago and has not been scheduled (limit 1h).`,
        );
    return {
        tooOld: scenario(
            "stable: the last backup succeeded 25 hours before the test began; the next run never succeeds",
            80,
            (w) => w.set("kube_cronjob_status_last_successful_time", cj, gauge(-25 * 3600, w.minutes)),
            [at("75m", "KlineAnalyticsBackupTooOld", backupTooOld("1d 2h 15m 0s"))],
        ),
        neverSucceeded: scenario(
            "stable: the backup CronJob was created 26 hours ago and has never succeeded",
            30,
            (w) => {
                w.remove("kube_cronjob_status_last_successful_time");
                w.set("kube_cronjob_created", cj, gauge(-26 * 3600, w.minutes));
            },
            [at("20m", "KlineAnalyticsBackupTooOld", backupTooOld("1d 2h 20m 0s"))],
        ),
        jobFailed: scenario(
            "stable: a backup Job's first pod fails at minute 4 (a retry is pending: quiet), the Job fails at minute 10 (an unrelated failed Job stays quiet)",
            20,
            (w) => {
                const ksm = { job: "kube-state-metrics", instance: "10.0.9.20:8080" };
                w.set(
                    "kube_job_status_failed",
                    { namespace: NS, job_name: BACKUP_JOB, ...ksm },
                    gaugePhases([
                        [0, 3],
                        [1, 9],
                        [3, w.minutes],
                    ]),
                );
                w.set(
                    "kube_job_failed",
                    { namespace: NS, job_name: BACKUP_JOB, condition: "true", ...ksm },
                    gaugePhases([
                        [0, 9],
                        [1, w.minutes],
                    ]),
                );
                const other = { namespace: NS, job_name: "schema-migration-1", ...ksm };
                w.set(
                    "kube_job_owner",
                    { ...other, owner_kind: "<none>", owner_name: "<none>", owner_is_controller: "<none>" },
                    gauge(1, w.minutes),
                );
                w.set("kube_job_status_failed", other, gauge(1, w.minutes));
                w.set("kube_job_failed", { ...other, condition: "true" }, gauge(1, w.minutes));
            },
            [
                at("8m", "KlineAnalyticsBackupJobFailed"),
                at(
                    "15m",
                    "KlineAnalyticsBackupJobFailed",
                    expected(
                        "KlineAnalyticsBackupJobFailed",
                        "warning",
                        t,
                        { namespace: NS, job_name: BACKUP_JOB, owner_name: BACKUP_CRONJOB },
                        "A kline-analytics backup job failed.",
                        `Backup Job ${NS}/${BACKUP_JOB} of CronJob ${BACKUP_CRONJOB} failed. Delete the Job once the cause is fixed to clear this alert.`,
                    ),
                ),
            ],
        ),
        // ---- backup scheduling: the CronJob controller creates no Job, so nothing fails ----------
        scheduleMissed: scenario(
            "stable: the CronJob controller stops creating backup Jobs: the run due 30 minutes before the test never starts",
            50,
            (w) => {
                w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-88200, w.minutes)); // 24.5 hours before the test
                w.set("kube_cronjob_status_last_successful_time", cj, gauge(-87600, w.minutes));
                w.set("kube_cronjob_next_schedule_time", cj, gauge(-1800, w.minutes));
            },
            [
                at("30m", "KlineAnalyticsBackupScheduleMissed"), // exactly an hour late: not yet
                at("45m", "KlineAnalyticsBackupScheduleMissed", scheduleMissed("1h 15m 0s")),
                at("45m", "KlineAnalyticsBackupNotScheduled"), // 25h15m since the last run: within 26h
            ],
        ),
        suspended: scenario(
            "stable: the backup CronJob is suspended since yesterday's run, 25 hours before the test",
            80,
            (w) => {
                w.set("kube_cronjob_spec_suspend", cj, gauge(1, w.minutes));
                w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-90600, w.minutes));
                w.remove("kube_cronjob_next_schedule_time"); // kube-state-metrics drops it while suspended
            },
            [
                at("55m", "KlineAnalyticsBackupSuspended"),
                at(
                    "65m",
                    "KlineAnalyticsBackupSuspended",
                    cronJobAlert(
                        "KlineAnalyticsBackupSuspended",
                        "The kline-analytics backup CronJob is suspended.",
                        `CronJob ${NS}/${BACKUP_CRONJOB} has been suspended for over an hour: no backup runs until it is resumed.`,
                    ),
                ),
                // 26h15m since the last run, but suspended: reported as suspended only
                at("65m", "KlineAnalyticsBackupNotScheduled"),
                at("65m", "KlineAnalyticsBackupScheduleMissed"),
            ],
        ),
        weekly: scenario(
            "stable: the backup schedule was changed to weekly: last scheduled 25h40m before the test, the next run in 5 days",
            40,
            (w) => {
                w.set("kube_cronjob_status_last_schedule_time", cj, gauge(-92400, w.minutes));
                w.set("kube_cronjob_next_schedule_time", cj, gauge(5 * 86400, w.minutes));
            },
            [
                at("20m", "KlineAnalyticsBackupNotScheduled"), // exactly 26h: not yet
                at("35m", "KlineAnalyticsBackupNotScheduled", notScheduled("1d 2h 15m 0s")),
                at("35m", "KlineAnalyticsBackupScheduleMissed"), // the next run is not due yet
            ],
        ),
        neverScheduled: scenario(
            "stable: the backup CronJob was created 27 hours ago and has never been scheduled (its first run was due 4 hours ago)",
            30,
            (w) => {
                w.remove("kube_cronjob_status_last_schedule_time");
                w.remove("kube_cronjob_status_last_successful_time");
                w.set("kube_cronjob_created", cj, gauge(-27 * 3600, w.minutes));
                w.set("kube_cronjob_next_schedule_time", cj, gauge(-4 * 3600, w.minutes));
            },
            [
                at("20m", "KlineAnalyticsBackupNotScheduled", notScheduled("1d 3h 20m 0s")),
                at("20m", "KlineAnalyticsBackupScheduleMissed", scheduleMissed("4h 20m 0s")),
                at("20m", "KlineAnalyticsBackupTooOld", backupTooOld("1d 3h 20m 0s")),
            ],
        ),
    };
}
