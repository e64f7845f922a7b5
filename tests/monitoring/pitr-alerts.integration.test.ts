// The point-in-time recovery alerts under the real promtool: each fires on the series a failing
// pgBackRest set-up produces (postgres_exporter's pg_stat_archiver_*, the agent's kline_pitr_*)
// with exactly its labels and annotations, and stays silent on the healthy or recovered case.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { DATABASE_JOB, ruleParamsFor } from "../../components/monitoring/params";
import { ENVIRONMENTS } from "../../config/environments";
import { AlertingRule, PITR_BACKUP_GRACE_SECONDS, RuleGroup, allAlerts, buildRuleGroups } from "../../components/monitoring/rules";
import { requireTool, runTool } from "../lib/tools";
import { NS, RUNBOOK } from "./deployment";

const PROMTOOL_HINT = "apt-get install prometheus (Debian package listed in .ci/apt/monitoring.txt)";
/** A short schedule so the timelines stay short: full daily, incremental hourly. */
const SCHEDULE = { fullEverySeconds: 86400, incrementalEverySeconds: 3600 };

function pitrGroup(): RuleGroup {
    const groups = buildRuleGroups(
        ruleParamsFor({
            environment: "production",
            namespace: NS,
            track: "stable",
            appName: "kline-analytics",
            runbookBaseUrl: RUNBOOK,
            backups: true,
            probe: false,
            maintenanceMode: false,
            pitr: SCHEDULE,
            thresholds: ENVIRONMENTS.production.alerts,
        }),
    );
    const g = groups.find((x) => x.name.endsWith(".pitr"));
    assert.ok(g, `no pitr group in ${groups.map((x) => x.name)}`);
    return g;
}

const db = `namespace="${NS}", job="${DATABASE_JOB}"`;

interface Case {
    name: string;
    interval: string;
    series: Array<{ series: string; values: string }>;
    alertname: string;
    at: string;
    /** The {{ $value }} (already humanized as the template does) when the alert fires; undefined: silent. */
    fires?: { value: string; extraLabels?: Record<string, string> };
}

/** Expected annotations: the rule's with {{ $labels.namespace }} and {{ $value ... }} filled in. */
function expectedAlert(rule: AlertingRule, value: string) {
    const fill = (t: string) =>
        t
            .replace(/\{\{ \$labels\.namespace \}\}/g, NS)
            .replace(/\{\{ \$value \| humanizeDuration \}\}/g, value)
            .replace(/\{\{ \$value \}\}/g, value);
    return {
        exp_labels: { ...rule.labels, namespace: NS, job: DATABASE_JOB },
        exp_annotations: {
            summary: rule.annotations.summary,
            description: fill(rule.annotations.description),
            runbook_url: rule.annotations.runbook_url,
        },
    };
}

const H = 3600;
const incrLimitH = (SCHEDULE.incrementalEverySeconds + PITR_BACKUP_GRACE_SECONDS.incremental) / H; // 3h
const fullLimitH = (SCHEDULE.fullEverySeconds + PITR_BACKUP_GRACE_SECONDS.full) / H; // 30h

const CASES: Case[] = [
    {
        name: "archive_command fails every minute for half an hour",
        interval: "1m",
        series: [{ series: `pg_stat_archiver_failed_count{${db}}`, values: "0+1x40" }],
        alertname: "KlineAnalyticsWalArchivingFailing",
        at: "25m",
        fires: { value: "" },
    },
    {
        name: "archiving fails once and recovers",
        interval: "1m",
        series: [{ series: `pg_stat_archiver_failed_count{${db}}`, values: "0x5 1x35" }],
        alertname: "KlineAnalyticsWalArchivingFailing",
        at: "25m",
    },
    {
        name: "archive_command has failed for 9 minutes: not yet the 10 minutes of `for`",
        interval: "1m",
        series: [{ series: `pg_stat_archiver_failed_count{${db}}`, values: "0+1x40" }],
        alertname: "KlineAnalyticsWalArchivingFailing",
        at: "9m",
    },
    {
        name: "eight segments wait for archiving for 20 minutes",
        interval: "1m",
        series: [{ series: `kline_pitr_wal_ready_segments{${db}}`, values: "8x30" }],
        alertname: "KlineAnalyticsWalArchivingLagging",
        at: "20m",
        fires: { value: "8" },
    },
    {
        name: "a burst of segments drains within minutes",
        interval: "1m",
        series: [{ series: `kline_pitr_wal_ready_segments{${db}}`, values: "8x5 1x25" }],
        alertname: "KlineAnalyticsWalArchivingLagging",
        at: "20m",
    },
    {
        // The newest backup ended at t=0 and none followed: at 4h it is 4h old (limit 3h).
        name: "no backup for 4 hours with hourly incrementals",
        interval: "5m",
        series: [
            { series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="full"}`, values: "0x60" },
            { series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="incr"}`, values: "0x60" },
        ],
        alertname: "KlineAnalyticsPitrBackupTooOld",
        at: "4h",
        fires: { value: "4h 0m 0s" },
    },
    {
        name: "incrementals every hour",
        interval: "5m",
        series: [
            { series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="full"}`, values: "0x60" },
            // Stop time of the newest incremental, stepping up each hour.
            {
                series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="incr"}`,
                values: "0x11 3600x12 7200x12 10800x12 14400x12",
            },
        ],
        alertname: "KlineAnalyticsPitrBackupTooOld",
        at: "4h",
    },
    {
        name: "incrementals go on but no full backup for 31 hours (daily fulls)",
        interval: "30m",
        series: [
            { series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="full"}`, values: "0x70" },
            { series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="incr"}`, values: "0+1800x70" },
        ],
        alertname: "KlineAnalyticsPitrFullBackupTooOld",
        at: "31h",
        fires: { value: "1d 7h 0m 0s" },
    },
    {
        name: "a full backup every day",
        interval: "30m",
        series: [{ series: `kline_pitr_backup_last_success_timestamp_seconds{${db}, type="full"}`, values: "0x47 86400x23" }],
        alertname: "KlineAnalyticsPitrFullBackupTooOld",
        at: "31h",
    },
    {
        name: "verification reports two bad files",
        interval: "1m",
        series: [{ series: `kline_pitr_verify_problems{${db}}`, values: "0x10 2x20" }],
        alertname: "KlineAnalyticsPitrVerifyFailed",
        at: "15m",
        fires: { value: "2" },
    },
    {
        name: "verification finds a clean repository",
        interval: "1m",
        series: [{ series: `kline_pitr_verify_problems{${db}}`, values: "0x30" }],
        alertname: "KlineAnalyticsPitrVerifyFailed",
        at: "15m",
    },
    {
        name: "no agent or exporter series at all",
        interval: "1m",
        series: [{ series: `up{namespace="${NS}", job="kline-analytics"}`, values: "1x30" }],
        alertname: "KlineAnalyticsPitrMetricsAbsent",
        at: "20m",
        fires: { value: "1" },
    },
    {
        name: "the agent's and the exporter's series are there",
        interval: "1m",
        series: [
            { series: `kline_pitr_agent_last_round_timestamp_seconds{${db}}`, values: "0+60x30" },
            { series: `pg_stat_archiver_archived_count{${db}}`, values: "0+1x30" },
        ],
        alertname: "KlineAnalyticsPitrMetricsAbsent",
        at: "20m",
    },
];

describe("monitoring: point-in-time recovery alerts under promtool", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-pitr-rules-"))));
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("the group holds the archiving, backup age, verification and missing-metrics alerts, each with a firing and a silent case", function () {
        const names = allAlerts([pitrGroup()]).map((a) => a.alert);
        assert.deepEqual(names, [
            "KlineAnalyticsWalArchivingFailing",
            "KlineAnalyticsWalArchivingLagging",
            "KlineAnalyticsPitrBackupTooOld",
            "KlineAnalyticsPitrFullBackupTooOld",
            "KlineAnalyticsPitrVerifyFailed",
            "KlineAnalyticsPitrMetricsAbsent",
        ]);
        for (const n of names) {
            assert.ok(
                CASES.some((c) => c.alertname === n && c.fires),
                `${n} has no firing case`,
            );
            assert.ok(
                CASES.some((c) => c.alertname === n && !c.fires),
                `${n} has no silent case`,
            );
        }
        assert.equal(incrLimitH, 3);
        assert.equal(fullLimitH, 30);
    });

    it("promtool check rules and promtool test rules pass", function () {
        const promtool = requireTool("promtool", PROMTOOL_HINT);
        const group = pitrGroup();
        fs.writeFileSync(path.join(dir, "pitr-rules.yml"), YAML.stringify({ groups: [group] }, { lineWidth: 0 }));
        assert.match(runTool(promtool, ["check", "rules", "pitr-rules.yml"], { cwd: dir }), /SUCCESS: 6 rules found/);
        const rules = new Map(allAlerts([group]).map((a) => [a.alert, a]));
        // promtool sets the evaluation interval per file: one file per interval.
        const files: string[] = [];
        for (const interval of [...new Set(CASES.map((c) => c.interval))]) {
            const tests = CASES.filter((c) => c.interval === interval).map((c) => {
                const rule = rules.get(c.alertname)!;
                const alert = c.fires ? expectedAlert(rule, c.fires.value) : undefined;
                // The failing-archiving description has no value in it.
                return {
                    name: c.name,
                    interval,
                    input_series: c.series,
                    alert_rule_test: [{ eval_time: c.at, alertname: c.alertname, exp_alerts: alert ? [alert] : [] }],
                };
            });
            const file = `pitr-${interval}.test.yml`;
            fs.writeFileSync(
                path.join(dir, file),
                YAML.stringify({ rule_files: ["pitr-rules.yml"], evaluation_interval: interval, tests }, { lineWidth: 0 }),
            );
            files.push(file);
        }
        const out = runTool(promtool, ["test", "rules", ...files], { cwd: dir });
        assert.equal((out.match(/SUCCESS/g) ?? []).length, files.length, out);
        console.log(
            `      promtool: ${CASES.length} cases (${CASES.filter((c) => c.fires).length} firing, ${CASES.filter((c) => !c.fires).length} silent) in ${files.length} files: SUCCESS`,
        );
    });
});
