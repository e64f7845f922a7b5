// The one module that owns kline-analytics' Prometheus rule groups: recording rules for the
// expensive expressions and every alert, as plain data built by pure functions. The same groups
// become the PrometheusRule custom resource (components/monitoring), the exported rules file
// (`npm run rules:export`) and the input of `promtool check rules` / `promtool test rules`.
//
// Tracks: production's namespace runs a stable Deployment and, on the canary stack, a second
// Deployment labelled `track: canary` with its own Service (so its own scrape `job`). The app's
// series carry `track` (a Micrometer common tag). The stable rule set carries the recording
// rules (aggregated by `track`, so they serve both tracks) and alerts that select
// `track!="canary"` (app metrics), the stable job (`up`) or the stable Deployment's pods by name
// (kube-state-metrics and cAdvisor have no `track` label): a bad canary never fires a production
// alert. The canary rule set holds alerts only, selecting `track="canary"` / the canary's pods,
// and labels every alert `track: canary`, which Alertmanager routes to a non-paging receiver.
//
// One file per area, each holding that area's alerts: availability.ts, workload.ts, resources.ts,
// business.ts, backup.ts (backup CronJob and PITR), probes.ts, pipeline.ts (Prometheus,
// Alertmanager, maintenance mode), and recordings.ts for the recording rules. Shared pieces:
// types.ts, thresholds.ts, slo.ts, promql.ts (the `promql` tag and selectors), alert.ts (the
// alert-building helper), validate.ts, and groups.ts, which assembles a track's rule groups.
// tests/monitoring/scenarios/ holds the promtool scenarios, one file per area.
export { AlertFactory, AlertSpec, pct, runbookAnchor } from "./alert";
export { PITR_BACKUP_GRACE_SECONDS, PITR_READY_SEGMENTS_MAX } from "./backup";
export { alertGroups, buildRuleGroups } from "./groups";
export { MAINTENANCE_ALERT, NOTIFICATIONS_FAILING_ALERT } from "./pipeline";
export { leLabel, promql } from "./promql";
export { recordingGroups, REC } from "./recordings";
export { BURN_RATE_WINDOWS, DEFAULT_SLO, RATIO_WINDOWS, SloTargets } from "./slo";
export { Thresholds } from "./thresholds";
export {
    AlertingRule,
    allAlerts,
    GROUP_PREFIX,
    isAlert,
    PitrRuleParams,
    RecordingRule,
    Rule,
    RuleGroup,
    RuleParams,
    SelfMonitoring,
    Severity,
    Track,
} from "./types";
