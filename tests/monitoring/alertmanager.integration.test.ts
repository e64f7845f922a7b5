// The Alertmanager configuration: as data, under `amtool check-config` and `amtool config routes
// test` (where each kind of alert goes), and loaded into a real Alertmanager on loopback to prove
// the inhibition rules (amtool cannot evaluate those).
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { buildAlertmanagerConfig, MuteWindow, RECEIVERS } from "../../components/monitoring/alertmanager";
import { placeholderAlertmanagerParams, ruleParamsFor } from "../../components/monitoring/params";
import { allAlerts, buildRuleGroups, NOTIFICATIONS_FAILING_ALERT } from "../../components/monitoring/rules";
import { exportMonitoring, ExportedFiles } from "../../tools/export-rules";
import { requireTool, runTool } from "../lib/tools";
import { MONITORING_NS, NS, ruleTarget, RUNBOOK, STABLE } from "./deployment";

const AMTOOL_HINT = "apt-get install prometheus-alertmanager (Debian package listed in .ci/apt/monitoring.txt)";

const WINDOWS: MuteWindow[] = [
    {
        name: "weekly-maintenance",
        routes: ["warning", "canary"],
        timeIntervals: [{ weekdays: ["sunday"], times: [{ start_time: "02:00", end_time: "04:00" }], location: "UTC" }],
    },
    {
        name: "db-migration",
        routes: ["critical", "warning"],
        timeIntervals: [{ days_of_month: ["1"], months: ["january"], years: ["2027"] }],
    },
];

describe("monitoring: Alertmanager configuration", function () {
    this.timeout(60000);
    let dir: string;
    let exported: ExportedFiles;
    let amtool: string;

    before(function () {
        amtool = requireTool("amtool", AMTOOL_HINT);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-am-"));
        exported = exportMonitoring(dir, {
            environment: "production",
            namespace: NS,
            runbookBaseUrl: RUNBOOK,
            maintenanceMode: false,
            backups: true,
            probe: true,
            monitoringNamespace: MONITORING_NS,
            canary: true,
            alertmanager: placeholderAlertmanagerParams(WINDOWS),
        });
    });

    after(function () {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("as data", function () {
        it("routes Watchdog and InfoInhibitor first, then failed notifications through another integration, then the canary track, then by severity", function () {
            const c = buildAlertmanagerConfig(placeholderAlertmanagerParams());
            assert.deepEqual(c.route.group_by, ["namespace", "alertname"]);
            assert.equal(c.route.receiver, RECEIVERS.chat);
            assert.deepEqual(
                c.route.routes!.map((r) => `${r.matchers!.join(",")} -> ${r.receiver}`),
                [
                    'alertname="Watchdog" -> heartbeat',
                    'alertname="InfoInhibitor" -> null',
                    'alertname="KlineAnalyticsNotificationsFailing",integration="pagerduty" -> chat',
                    'alertname="KlineAnalyticsNotificationsFailing" -> pager',
                    'track="canary" -> canary-chat',
                    'severity="critical" -> pager',
                    'severity="warning" -> chat',
                    'severity=~"info|none" -> null',
                ],
            );
            assert.equal(c.route.routes![0].repeat_interval, "1m");
        });

        it("inhibits: critical > warning > info per alert, maintenance mode per namespace, production critical over the canary", function () {
            const rules = buildAlertmanagerConfig(placeholderAlertmanagerParams()).inhibit_rules.map(
                (r) => `${r.source_matchers.join(",")} => ${r.target_matchers.join(",")} [${r.equal.join(",")}]`,
            );
            assert.deepEqual(rules, [
                'severity="critical" => severity=~"warning|info" [namespace,alertname,track]',
                'severity="warning" => severity="info" [namespace,alertname,track]',
                'alertname="KlineAnalyticsMaintenanceMode" => severity=~"warning|info",alertname!="KlineAnalyticsMaintenanceMode" [namespace]',
                'severity="critical",track!="canary" => track="canary" [namespace,alertname]',
                'alertname="InfoInhibitor" => severity="info" [namespace]',
            ]);
        });

        it("puts the receiver secrets only into their receivers, and mutes the routes each window names", function () {
            const c = buildAlertmanagerConfig({
                ...placeholderAlertmanagerParams(WINDOWS),
                pagerdutyRoutingKey: "SENTINEL-KEY",
                slackWebhookUrl: "https://hooks.slack.com/services/SENTINEL",
                heartbeatUrl: "https://hc.example.com/SENTINEL-HB",
            });
            const text = JSON.stringify(c);
            assert.equal(text.split("SENTINEL-KEY").length - 1, 1);
            assert.equal(text.split("hooks.slack.com/services/SENTINEL").length - 1, 2); // chat and canary-chat
            assert.deepEqual(c.receivers.find((r) => r.name === "heartbeat")!.webhook_configs, [
                { url: "https://hc.example.com/SENTINEL-HB", send_resolved: false },
            ]);
            const mutes = Object.fromEntries(c.route.routes!.map((r) => [r.receiver + ":" + r.matchers![0], r.mute_time_intervals ?? []]));
            assert.deepEqual(mutes['pager:severity="critical"'], ["db-migration"]);
            assert.deepEqual(mutes['chat:severity="warning"'], ["weekly-maintenance", "db-migration"]);
            assert.deepEqual(mutes['canary-chat:track="canary"'], ["weekly-maintenance"]);
            // Failed notifications are never muted (planned work does not stop them mattering).
            assert.deepEqual(mutes['pager:alertname="KlineAnalyticsNotificationsFailing"'], []);
            assert.deepEqual(mutes['chat:alertname="KlineAnalyticsNotificationsFailing"'], []);
            assert.deepEqual(
                c.time_intervals!.map((t) => t.name),
                ["weekly-maintenance", "db-migration"],
            );
            assert.equal(buildAlertmanagerConfig(placeholderAlertmanagerParams()).time_intervals, undefined);
        });

        it("rejects bad receivers and windows with a message naming the problem and the fix", function () {
            const p = placeholderAlertmanagerParams();
            assert.throws(
                () => buildAlertmanagerConfig({ ...p, pagerdutyRoutingKey: "" }),
                /pagerdutyRoutingKey is empty: set the stack secret/,
            );
            assert.throws(
                () => buildAlertmanagerConfig({ ...p, slackWebhookUrl: "hooks.slack.com/x" }),
                /slackWebhookUrl must be an https URL/,
            );
            assert.throws(() => buildAlertmanagerConfig({ ...p, slackChannel: "alerts" }), /slackChannel 'alerts' must be a Slack channel/);
            const w = WINDOWS[0];
            assert.throws(
                () => buildAlertmanagerConfig({ ...p, muteWindows: [w, w] }),
                /mute window 'weekly-maintenance' is defined twice/,
            );
            assert.throws(
                () =>
                    buildAlertmanagerConfig({
                        ...p,
                        muteWindows: [{ ...w, timeIntervals: [{ times: [{ start_time: "2:00", end_time: "04:00" }] }] }],
                    }),
                /time '2:00' must be HH:MM/,
            );
            assert.throws(
                () => buildAlertmanagerConfig({ ...p, muteWindows: [{ ...w, timeIntervals: [{ weekdays: ["sun"] }] }] }),
                /weekday 'sun'/,
            );
            assert.throws(() => buildAlertmanagerConfig({ ...p, muteWindows: [{ ...w, routes: [] }] }), /mutes no route/);
        });
    });

    describe("under amtool", function () {
        it("amtool check-config: the exported alertmanager.yml (with mute windows) is valid", function () {
            console.log(`      running: amtool check-config ${path.basename(exported.alertmanager)}`);
            const out = runTool(amtool, ["check-config", exported.alertmanager]);
            assert.match(out, /SUCCESS/);
            assert.match(out, /5 inhibit rules/);
            assert.match(out, /5 receivers/);
            assert.ok(!fs.readFileSync(exported.alertmanager, "utf8").includes("hooks.slack.com"), "export must hold placeholders only");
        });

        // KlineAnalyticsNotificationsFailing as the rules build it (its severity and static labels)
        // with the labels its expression keeps, but the integration.
        const failing = allAlerts(buildRuleGroups(ruleParamsFor(ruleTarget(STABLE)))).find((a) => a.alert === NOTIFICATIONS_FAILING_ALERT)!;
        const notificationsFailing = [
            `alertname=${failing.alert}`,
            ...Object.entries(failing.labels).map(([k, v]) => `${k}=${v}`),
            `namespace=${MONITORING_NS}`,
            "job=kube-prometheus-stack-alertmanager",
        ];
        const cases: Array<[what: string, labels: string[], receiver: string]> = [
            ["critical production alert pages", ["alertname=KlineAnalyticsDown", "severity=critical", `namespace=${NS}`], "pager"],
            [
                "warning goes to chat",
                ["alertname=KlineAnalyticsHighErrorRate", "severity=warning", `namespace=${NS}`, "track=stable"],
                "chat",
            ],
            ["info is not notified", ["alertname=KlineAnalyticsPodRestarting", "severity=info", `namespace=${NS}`], "null"],
            ["Watchdog feeds the heartbeat", ["alertname=Watchdog", "severity=none", "namespace=monitoring"], "heartbeat"],
            ["maintenance mode is not notified", ["alertname=KlineAnalyticsMaintenanceMode", "severity=info", `namespace=${NS}`], "null"],
            [
                "critical canary alert never pages",
                ["alertname=KlineAnalyticsDown", "severity=critical", `namespace=${NS}`, "track=canary"],
                "canary-chat",
            ],
            [
                "warning canary alert goes to the canary channel",
                ["alertname=KlineAnalyticsHighCPUUsage", "severity=warning", `namespace=${NS}`, "track=canary"],
                "canary-chat",
            ],
            ["InfoInhibitor is not notified", ["alertname=InfoInhibitor", "severity=none", `namespace=${NS}`], "null"],
            ["an alert without severity still reaches chat", ["alertname=SomethingNew", `namespace=${NS}`], "chat"],
            // The alert about a failing integration goes out through another one.
            ["failing Slack notifications page", [...notificationsFailing, "integration=slack"], "pager"],
            ["failing PagerDuty notifications go to chat", [...notificationsFailing, "integration=pagerduty"], "chat"],
            ["a failing heartbeat webhook pages", [...notificationsFailing, "integration=webhook"], "pager"],
        ];
        for (const [what, labels, receiver] of cases) {
            it(`amtool config routes test: ${what} (-> ${receiver})`, function () {
                const args = [
                    "config",
                    "routes",
                    "test",
                    `--config.file=${exported.alertmanager}`,
                    `--verify.receivers=${receiver}`,
                    ...labels,
                ];
                console.log(`      running: amtool ${args.join(" ").replace(dir + "/", "")}`);
                assert.equal(runTool(amtool, args).trim(), receiver);
            });
        }
    });

    describe("in a real Alertmanager (prometheus-alertmanager on loopback)", function () {
        let am: ChildProcess | undefined;
        let url = "";
        let log = "";

        before(async function () {
            const binary = requireTool("prometheus-alertmanager", AMTOOL_HINT);
            const port = await freePort();
            url = `http://127.0.0.1:${port}`;
            const args = [
                `--config.file=${exported.alertmanager}`,
                `--storage.path=${path.join(dir, "am-data")}`,
                `--web.listen-address=127.0.0.1:${port}`,
                "--cluster.listen-address=",
            ];
            console.log(`      running: prometheus-alertmanager ${args.join(" ").replaceAll(dir + "/", "")}`);
            am = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
            am.stdout!.on("data", (d) => (log += d));
            am.stderr!.on("data", (d) => (log += d));
            await waitFor(
                async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true,
                15000,
                () => `Alertmanager did not become ready:\n${log}`,
            );
        });

        after(async function () {
            // Alertmanager writes its silences and notification log into am-data as it shuts down:
            // wait for it to exit, or removing the directory races with those writes (ENOTEMPTY).
            if (!am || am.exitCode !== null || am.signalCode !== null) return;
            const exited = new Promise((resolve) => am!.once("exit", resolve));
            am.kill("SIGTERM");
            await exited;
        });

        it("suppresses exactly the inhibited alerts (severity, maintenance mode, canary)", async function () {
            const ns = (n: string) => `namespace=${n}`;
            const alerts: Array<[labels: string[], inhibited: boolean]> = [
                // critical > warning > info for the same alert in the same namespace
                [["alertname=KlineAnalyticsCertificateExpiry", "severity=critical", ns("team-a")], false],
                [["alertname=KlineAnalyticsCertificateExpiry", "severity=warning", ns("team-a")], true],
                [["alertname=KlineAnalyticsHighGCPause", "severity=warning", ns("team-a")], false],
                [["alertname=KlineAnalyticsHighGCPause", "severity=info", ns("team-a")], true],
                [["alertname=KlineAnalyticsHighGCPause", "severity=warning", ns("team-b")], false], // other namespace
                // maintenance mode: warning/info of its namespace are held back, critical still pages
                [["alertname=KlineAnalyticsMaintenanceMode", "severity=info", ns("maint")], false],
                [["alertname=KlineAnalyticsHighCPUUsage", "severity=warning", ns("maint")], true],
                [["alertname=KlineAnalyticsCPUThrottling", "severity=info", ns("maint")], true],
                [["alertname=KlineAnalyticsDown", "severity=critical", ns("maint")], false],
                // canary: production's critical hides the canary's copy; the canary never hides production
                [["alertname=KlineAnalyticsHighErrorRate", "severity=critical", ns("prod"), "track=stable"], false],
                [["alertname=KlineAnalyticsHighErrorRate", "severity=warning", ns("prod"), "track=canary"], true],
                [["alertname=KlineAnalyticsDown", "severity=critical", ns("prod"), "track=canary"], false],
                [["alertname=KlineAnalyticsDown", "severity=warning", ns("prod"), "track=stable"], false],
            ];
            for (const [labels] of alerts) {
                runTool(amtool, ["alert", "add", `--alertmanager.url=${url}`, ...labels, "--annotation=summary=test"]);
            }
            console.log(`      posted ${alerts.length} alerts with amtool alert add; reading their state from ${url}/api/v2/alerts`);
            const key = (labels: Record<string, string>) =>
                Object.entries(labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .sort()
                    .join(",");
            const want = new Map(alerts.map(([labels, inhibited]) => [[...labels].sort().join(","), inhibited]));
            let last = "";
            await waitFor(
                async () => {
                    const got = (await (await fetch(`${url}/api/v2/alerts`)).json()) as Array<{
                        labels: Record<string, string>;
                        status: { inhibitedBy: string[] };
                    }>;
                    const states = new Map(got.map((a) => [key(a.labels), a.status.inhibitedBy.length > 0]));
                    const wrong = [...want]
                        .filter(([k, inhibited]) => states.get(k) !== inhibited)
                        .map(([k, inhibited]) => `${k}: want ${inhibited ? "inhibited" : "active"}, got ${states.get(k)}`);
                    last = wrong.join("\n");
                    return wrong.length === 0;
                },
                10000,
                () => `inhibition differs:\n${last}`,
            );
        });
    });
});

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(message());
        await new Promise((r) => setTimeout(r, 200));
    }
}
