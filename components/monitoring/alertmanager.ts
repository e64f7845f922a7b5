// Alertmanager configuration as data. Routing: Watchdog -> heartbeat, failed notifications ->
// through another integration than the failing one, canary-track alerts -> a
// chat channel of their own (never the pager), then by severity: critical -> pager,
// warning -> chat, info/none -> nothing. Inhibition: critical hides warning/info of the same
// alert, warning hides info, maintenance mode hides warning/info of its namespace, and a critical
// production alert hides the canary's copy of it. The secrets (PagerDuty key, Slack webhook,
// heartbeat URL) are parameters: Pulumi secrets in the stack, placeholders in tests and exports.
import type * as pulumi from "@pulumi/pulumi";
import { checkSlackChannel } from "../../config/monitoring";
import { muteWindowProblems } from "../../config/mute-windows";
import { MAINTENANCE_ALERT, NOTIFICATIONS_FAILING_ALERT } from "./rules";

/** A receiver secret: a plain string in tests and exports, a Pulumi secret Output in the stack. */
export type SecretValue = string | pulumi.Output<string>;

export type Matcher = string;

export interface TimeRange {
    start_time: string;
    end_time: string;
}

/** Alertmanager `time_intervals` entry (all fields optional, as in Alertmanager). */
export interface TimeInterval {
    times?: TimeRange[];
    weekdays?: string[];
    days_of_month?: string[];
    months?: string[];
    years?: string[];
    location?: string;
}

/** A planned window during which notifications of the listed routes are muted. */
export interface MuteWindow {
    name: string;
    /** Which routes the window mutes; critical only when listed explicitly. */
    routes: Array<"critical" | "warning" | "canary">;
    timeIntervals: TimeInterval[];
}

export interface AlertmanagerParams {
    /** PagerDuty Events v2 routing key; without one the pager receiver notifies nobody (development). */
    pagerdutyRoutingKey?: SecretValue;
    /** Slack incoming-webhook URL of the chat and canary receivers; without one they notify nobody. */
    slackWebhookUrl?: SecretValue;
    /** Dead man's switch endpoint the Watchdog alert is sent to; without one the heartbeat is dropped. */
    heartbeatUrl?: SecretValue;
    slackChannel: string;
    canarySlackChannel: string;
    muteWindows: MuteWindow[];
}

export interface Route {
    receiver: string;
    matchers?: Matcher[];
    group_by?: string[];
    group_wait?: string;
    group_interval?: string;
    repeat_interval?: string;
    continue?: boolean;
    mute_time_intervals?: string[];
    routes?: Route[];
}

export interface InhibitRule {
    source_matchers: Matcher[];
    target_matchers: Matcher[];
    equal: string[];
}

export interface Receiver {
    name: string;
    pagerduty_configs?: Array<Record<string, unknown>>;
    slack_configs?: Array<Record<string, unknown>>;
    webhook_configs?: Array<Record<string, unknown>>;
}

export interface AlertmanagerConfig {
    global: { resolve_timeout: string };
    route: Route;
    inhibit_rules: InhibitRule[];
    receivers: Receiver[];
    time_intervals?: Array<{ name: string; time_intervals: TimeInterval[] }>;
    templates: string[];
}

export const RECEIVERS = { pager: "pager", chat: "chat", canary: "canary-chat", heartbeat: "heartbeat", none: "null" } as const;

/** Labels alerts are grouped by; `track` keeps a canary's alerts apart from production's. */
export const GROUP_BY = ["namespace", "alertname"];

const SLACK_TITLE =
    '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.namespace }})';
const SLACK_TEXT =
    "{{ range .Alerts }}*{{ .Annotations.summary }}* ({{ .Labels.severity }}{{ if .Labels.track }}, track {{ .Labels.track }}{{ end }})\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}";

function slack(url: SecretValue, channel: string): Record<string, unknown> {
    return { api_url: url, channel, send_resolved: true, title: SLACK_TITLE, text: SLACK_TEXT };
}

/** The whole Alertmanager configuration (alertmanager.yml) for the given receivers and windows. */
export function buildAlertmanagerConfig(p: AlertmanagerParams): AlertmanagerConfig {
    validate(p);
    const muted = (route: MuteWindow["routes"][number]) => {
        const names = p.muteWindows.filter((w) => w.routes.includes(route)).map((w) => w.name);
        return names.length > 0 ? { mute_time_intervals: names } : {};
    };
    const route: Route = {
        receiver: RECEIVERS.chat, // anything without a known severity still reaches people
        group_by: GROUP_BY,
        group_wait: "30s",
        group_interval: "5m",
        repeat_interval: "4h",
        routes: [
            // The always-firing Watchdog proves the whole pipeline works: an external dead man's
            // switch alarms when these heartbeats stop.
            {
                receiver: RECEIVERS.heartbeat,
                matchers: ['alertname="Watchdog"'],
                group_wait: "0s",
                group_interval: "1m",
                repeat_interval: "1m",
            },
            // kube-prometheus-stack's helper alert that only exists to inhibit info alerts.
            { receiver: RECEIVERS.none, matchers: ['alertname="InfoInhibitor"'] },
            // A failing integration must not carry the alert about itself: PagerDuty's failures go
            // to chat, the others' (Slack, which chat and canary-chat share, and the heartbeat
            // webhook) to the pager. Not muted by planned windows, like the heartbeat.
            { receiver: RECEIVERS.chat, matchers: [`alertname="${NOTIFICATIONS_FAILING_ALERT}"`, 'integration="pagerduty"'] },
            { receiver: RECEIVERS.pager, matchers: [`alertname="${NOTIFICATIONS_FAILING_ALERT}"`], repeat_interval: "1h" },
            // A canary never pages, whatever its severity: it goes to its own channel.
            { receiver: RECEIVERS.canary, matchers: ['track="canary"'], group_by: [...GROUP_BY, "track"], ...muted("canary") },
            { receiver: RECEIVERS.pager, matchers: ['severity="critical"'], repeat_interval: "1h", ...muted("critical") },
            { receiver: RECEIVERS.chat, matchers: ['severity="warning"'], ...muted("warning") },
            { receiver: RECEIVERS.none, matchers: ['severity=~"info|none"'] },
        ],
    };
    const inhibit_rules: InhibitRule[] = [
        {
            source_matchers: ['severity="critical"'],
            target_matchers: ['severity=~"warning|info"'],
            equal: ["namespace", "alertname", "track"],
        },
        { source_matchers: ['severity="warning"'], target_matchers: ['severity="info"'], equal: ["namespace", "alertname", "track"] },
        {
            source_matchers: [`alertname="${MAINTENANCE_ALERT}"`],
            target_matchers: ['severity=~"warning|info"', `alertname!="${MAINTENANCE_ALERT}"`],
            equal: ["namespace"],
        },
        // While production itself is critical, the canary's copy of the same alert is noise.
        {
            source_matchers: ['severity="critical"', 'track!="canary"'],
            target_matchers: ['track="canary"'],
            equal: ["namespace", "alertname"],
        },
        { source_matchers: ['alertname="InfoInhibitor"'], target_matchers: ['severity="info"'], equal: ["namespace"] },
    ];
    const pager: Receiver = { name: RECEIVERS.pager };
    if (p.pagerdutyRoutingKey !== undefined) {
        pager.pagerduty_configs = [
            {
                routing_key: p.pagerdutyRoutingKey,
                send_resolved: true,
                severity: "critical",
                description: "{{ .CommonLabels.alertname }} ({{ .CommonLabels.namespace }}): {{ .CommonAnnotations.summary }}",
                details: {
                    runbook: "{{ .CommonAnnotations.runbook_url }}",
                    description: "{{ .CommonAnnotations.description }}",
                    firing: "{{ .Alerts.Firing | len }}",
                },
            },
        ];
    }
    const chat = (name: string, channel: string): Receiver =>
        p.slackWebhookUrl !== undefined ? { name, slack_configs: [slack(p.slackWebhookUrl, channel)] } : { name };
    const receivers: Receiver[] = [
        pager,
        chat(RECEIVERS.chat, p.slackChannel),
        chat(RECEIVERS.canary, p.canarySlackChannel),
        p.heartbeatUrl !== undefined
            ? { name: RECEIVERS.heartbeat, webhook_configs: [{ url: p.heartbeatUrl, send_resolved: false }] }
            : { name: RECEIVERS.heartbeat },
        { name: RECEIVERS.none },
    ];
    const config: AlertmanagerConfig = { global: { resolve_timeout: "5m" }, route, inhibit_rules, receivers, templates: [] };
    if (p.muteWindows.length > 0) config.time_intervals = p.muteWindows.map((w) => ({ name: w.name, time_intervals: w.timeIntervals }));
    return config;
}

function validate(p: AlertmanagerParams): void {
    const fail = (what: string) => {
        throw new Error(`alertmanager config: ${what}`);
    };
    // Secrets arrive as Outputs in a deployment (checked for presence by the config module); plain
    // strings (tests, exports) are checked here.
    if (p.pagerdutyRoutingKey === "")
        fail("pagerdutyRoutingKey is empty: set the stack secret `pulumi config set --secret pagerdutyRoutingKey <key>`");
    if (typeof p.slackWebhookUrl === "string" && !/^https:\/\//.test(p.slackWebhookUrl)) {
        fail("slackWebhookUrl must be an https URL: set the stack secret `pulumi config set --secret slackWebhookUrl <url>`");
    }
    if (typeof p.heartbeatUrl === "string" && !/^https:\/\//.test(p.heartbeatUrl)) fail("heartbeatUrl must be an https URL");
    for (const [k, v] of [
        ["slackChannel", p.slackChannel],
        ["canarySlackChannel", p.canarySlackChannel],
    ] as const) {
        if (checkSlackChannel(v)) fail(`${k} '${v}' must be a Slack channel such as #kline-alerts`);
    }
    const problems = muteWindowProblems(p.muteWindows);
    if (problems.length > 0) fail(problems.join("; "));
}
