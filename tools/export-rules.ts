// `npm run rules:export -- [--env production] [--out out/monitoring] [--runbook-base-url URL] [--maintenance]`
// Writes the monitoring data of one environment as the files the standard tools read:
//   prometheus-rules.yml          the PrometheusRule groups of the stable track (promtool check rules)
//   prometheus-rules-canary.yml   production only: the canary stack's alerts (same namespace)
//   alertmanager.yml              routing/inhibition (amtool check-config); receiver secrets are placeholders
//   dashboards/kline-analytics.json  the Grafana dashboard
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { AlertmanagerParams, buildAlertmanagerConfig } from "../components/monitoring/alertmanager";
import { ENVIRONMENTS as MATRIX, namespaceFor } from "../config/environments";
import { EnvironmentName } from "../config/types";
import { DEFAULT_RUNBOOK_BASE_URL, MONITORING_NAMESPACE } from "../config/monitoring";
import { buildDashboard, DASHBOARD_FILE } from "../components/monitoring/dashboard";
import { dashboardParams, placeholderAlertmanagerParams, ruleParamsFor, RuleTarget } from "../components/monitoring/params";
import { buildRuleGroups, RuleGroup } from "../components/monitoring/rules";
import { APP_NAME, CANARY_APP_NAME } from "../contract/names";

export const ENVIRONMENTS = ["development", "staging", "production"] as const;
export const DEFAULT_OUT = path.join("out", "monitoring");

export interface ExportInput {
    environment: string;
    namespace: string;
    runbookBaseUrl: string;
    maintenanceMode: boolean;
    backups: boolean;
    probe: boolean;
    /** Namespace of the environment's kube-prometheus-stack (alerts on its Prometheus and Alertmanager). */
    monitoringNamespace: string;
    /** Also write the canary stack's rules (it runs in this namespace). */
    canary: boolean;
    alertmanager: AlertmanagerParams;
}

export interface ExportedFiles {
    rules: string[];
    alertmanager: string;
    dashboard: string;
}

export function rulesFileYaml(groups: RuleGroup[]): string {
    return YAML.stringify({ groups }, { lineWidth: 0 });
}

/** The namespace an environment's app runs in (config/environments.ts). */
export function namespaceOf(environment: (typeof ENVIRONMENTS)[number]): string {
    return namespaceFor(environment);
}

export function exportMonitoring(outDir: string, input: ExportInput): ExportedFiles {
    const target: RuleTarget = {
        environment: input.environment,
        namespace: input.namespace,
        track: "stable",
        appName: APP_NAME,
        runbookBaseUrl: input.runbookBaseUrl,
        backups: input.backups,
        probe: input.probe,
        monitoringNamespace: input.monitoringNamespace,
        maintenanceMode: input.maintenanceMode,
        thresholds: MATRIX[input.environment as EnvironmentName].alerts,
    };
    fs.mkdirSync(path.join(outDir, "dashboards"), { recursive: true });
    const write = (name: string, text: string) => {
        const file = path.join(outDir, name);
        fs.writeFileSync(file, text);
        return file;
    };
    const rules = [write("prometheus-rules.yml", rulesFileYaml(buildRuleGroups(ruleParamsFor(target))))];
    if (input.canary) {
        const canary = ruleParamsFor({
            ...target,
            environment: "canary",
            track: "canary",
            appName: CANARY_APP_NAME,
            thresholds: MATRIX.canary.alerts,
        });
        rules.push(write("prometheus-rules-canary.yml", rulesFileYaml(buildRuleGroups(canary))));
    }
    const alertmanager = write(
        "alertmanager.yml",
        "# Receiver secrets below are placeholders: the deployed configuration takes them from the\n" +
            "# stack's Pulumi secrets (pagerdutyRoutingKey, slackWebhookUrl, heartbeatUrl).\n" +
            YAML.stringify(buildAlertmanagerConfig(input.alertmanager), { lineWidth: 0 }),
    );
    const dashboard = write(path.join("dashboards", DASHBOARD_FILE), JSON.stringify(buildDashboard(dashboardParams()), null, 2) + "\n");
    return { rules, alertmanager, dashboard };
}

function parseArgs(argv: string[]): { env: string; out: string; runbook: string; maintenance: boolean } {
    const opts = { env: "production", out: DEFAULT_OUT, runbook: DEFAULT_RUNBOOK_BASE_URL, maintenance: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--"))
                throw new Error(`${arg} needs a value, e.g. ${arg} ${arg === "--env" ? "staging" : "..."}`);
            return v;
        };
        if (arg === "--env" || arg === "--stack") opts.env = value();
        else if (arg === "--out") opts.out = value();
        else if (arg === "--runbook-base-url") opts.runbook = value();
        else if (arg === "--maintenance") opts.maintenance = true;
        else
            throw new Error(
                `unknown argument '${arg}'. Usage: npm run rules:export -- [--env ${ENVIRONMENTS.join("|")}] [--out dir] [--runbook-base-url URL] [--maintenance]`,
            );
    }
    if (opts.env === "canary") {
        throw new Error(
            "--env canary: the canary shares production's monitoring; export --env production (it writes the canary's rules too)",
        );
    }
    if (!(ENVIRONMENTS as readonly string[]).includes(opts.env))
        throw new Error(`--env '${opts.env}' is not one of ${ENVIRONMENTS.join(", ")}`);
    return opts;
}

if (require.main === module) {
    try {
        const o = parseArgs(process.argv.slice(2));
        const files = exportMonitoring(o.out, {
            environment: o.env,
            namespace: namespaceOf(o.env as (typeof ENVIRONMENTS)[number]),
            runbookBaseUrl: o.runbook,
            maintenanceMode: o.maintenance,
            backups: true,
            probe: true,
            monitoringNamespace: MONITORING_NAMESPACE,
            canary: o.env === "production",
            alertmanager: placeholderAlertmanagerParams(),
        });
        for (const f of [...files.rules, files.alertmanager, files.dashboard]) console.log(`wrote ${f}`);
    } catch (err) {
        console.error(`rules:export: ${(err as Error).message}`);
        process.exit(2);
    }
}
