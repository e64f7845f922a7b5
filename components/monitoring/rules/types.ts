// The shapes every area's rules share: alerting and recording rules, rule groups, and the
// parameters one track's rule set is built from (namespace, job, Deployment, thresholds, SLO and
// the optional backup, PITR, probe and self-monitoring targets).
import { APP_NAME, Track } from "../../../contract/names";
import { SloTargets } from "./slo";
import { Thresholds } from "./thresholds";

export type Severity = "critical" | "warning" | "info";
export type { Track };

export interface AlertingRule {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: Severity } & Record<string, string>;
    annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
    record: string;
    expr: string;
    labels?: Record<string, string>;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
    name: string;
    rules: Rule[];
}

/** Every rule group of this module is named `<app name>.<...>` (kline-analytics.http, ...). */
export const GROUP_PREFIX = APP_NAME;

export interface RuleParams {
    environment: string;
    /** Namespace the app runs in (the canary runs in production's). */
    namespace: string;
    track: Track;
    /** Scrape job of the track's ServiceMonitor: the Service name (`kline-analytics`, `kline-analytics-canary`). */
    job: string;
    /** The track's Deployment; its pods are `<deployment>-<template hash>-<suffix>`. */
    deployment: string;
    /** The application container's name inside the pod. */
    container: string;
    /** Base of every `runbook_url`; the alert's anchor is appended (`#klineanalyticsdown`). */
    runbookBaseUrl: string;
    thresholds: Thresholds;
    slo: SloTargets;
    /** The backup CronJob; undefined when the stack runs no backups (no backup alerts). */
    backupCronJob?: string;
    /**
     * Point-in-time recovery of the in-cluster database (pgBackRest): the scrape job of its pod's
     * metrics (postgres_exporter and the agent's file) and the backup schedule. Undefined: no PITR alerts.
     */
    pitr?: PitrRuleParams;
    /** `job` label of the blackbox Probe of the app's external URL; undefined: no probe alerts. */
    probeJob?: string;
    /**
     * The Prometheus and Alertmanager this stack installs (their namespace and scrape jobs):
     * alerts on rule evaluation failures of the kline-analytics rule groups and on failed
     * notifications. Undefined on stacks that install no monitoring (the canary).
     */
    selfMonitoring?: SelfMonitoring;
    /** While true, KlineAnalyticsMaintenanceMode fires and Alertmanager inhibits warning/info of the namespace. */
    maintenanceMode: boolean;
}

export interface PitrRuleParams {
    /** `job` of the database pod's metrics: the in-cluster PostgreSQL Service's name. */
    job: string;
    /** The agent takes a full backup when the newest is this old, an incremental one likewise. */
    fullEverySeconds: number;
    incrementalEverySeconds: number;
}

export interface SelfMonitoring {
    namespace: string;
    /** `job` of Prometheus' own metrics (the chart's Service `kube-prometheus-stack-prometheus`). */
    prometheusJob: string;
    /** `job` of Alertmanager's own metrics (`kube-prometheus-stack-alertmanager`). */
    alertmanagerJob: string;
}

export function isAlert(r: Rule): r is AlertingRule {
    return (r as AlertingRule).alert !== undefined;
}

export function allAlerts(groups: RuleGroup[]): AlertingRule[] {
    return groups.flatMap((g) => g.rules.filter(isAlert));
}
