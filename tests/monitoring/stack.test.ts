// MonitoringStack under Pulumi mocks, for every stack file (via the harness's renderStack): the
// two Helm releases, the namespaces, the Alertmanager Secret, and the app's ServiceMonitor,
// PrometheusRule, Probe and dashboard ConfigMap with the dependsOn the engine would see.
import { strict as assert } from "assert";
import { allAlerts, RuleGroup } from "../../components/monitoring/rules";
import { objects, renderStack, resources, RenderResult, ResourceRecord } from "../harness";

function record(r: RenderResult, type: string, name: string): ResourceRecord {
    const found = resources(r, type).filter((x) => x.name === name);
    assert.equal(found.length, 1, `${r.stack}: expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
}

function one(r: RenderResult, kind: string, name: string): any {
    const found = objects(r, kind, name);
    assert.equal(found.length, 1, `${r.stack}: expected one ${kind} ${name}, found ${found.length}`);
    return found[0];
}

const RELEASE = "kubernetes:helm.sh/v3:Release";

for (const stack of ["development", "staging", "production"] as const) {
    const appNs = `kline-analytics-${stack}`;
    const interval = stack === "production" ? "15s" : "30s";

    describe(`monitoring in stack ${stack}`, function () {
        let r: RenderResult;
        before(async function () {
            r = await renderStack(stack);
        });

        it("installs kube-prometheus-stack 88.5.3 and the blackbox exporter 11.17.2 in `monitoring`", function () {
            const repo = { repo: "https://prometheus-community.github.io/helm-charts" };
            const kps = record(r, RELEASE, "monitoring-kube-prometheus-stack").inputs;
            assert.deepEqual(
                [kps.name, kps.chart, kps.version, kps.repositoryOpts, kps.namespace],
                ["kube-prometheus-stack", "kube-prometheus-stack", "88.5.3", repo, "monitoring"],
            );
            const bb = record(r, RELEASE, "monitoring-blackbox-exporter");
            assert.deepEqual(
                [bb.inputs.name, bb.inputs.chart, bb.inputs.version, bb.inputs.repositoryOpts, bb.inputs.namespace],
                ["blackbox-exporter", "prometheus-blackbox-exporter", "11.17.2", repo, "monitoring"],
            );
            assert.ok(
                bb.options.dependsOn?.includes("monitoring-kube-prometheus-stack"),
                "blackbox waits for the CRDs of kube-prometheus-stack",
            );
            const p = kps.values.prometheus.prometheusSpec;
            assert.equal(p.replicas, stack === "production" ? 2 : 1);
            assert.equal(p.scrapeInterval, interval);
            assert.equal(p.serviceMonitorSelectorNilUsesHelmValues, false);
            assert.equal(p.ruleSelectorNilUsesHelmValues, false);
            assert.equal(p.probeSelectorNilUsesHelmValues, false);
            assert.equal(kps.values.alertmanager.alertmanagerSpec.replicas, stack === "production" ? 3 : 1);
            assert.equal(kps.values.alertmanager.alertmanagerSpec.configSecret, "alertmanager-kline-analytics");
            assert.ok(record(r, RELEASE, "monitoring-kube-prometheus-stack").options.dependsOn?.includes("monitoring-alertmanager-config"));
            assert.deepEqual(Object.keys(bb.inputs.values.config.modules), ["http_2xx"]);
        });

        it("creates `monitoring` at Pod Security restricted and node-exporter's namespace at privileged", function () {
            const mon = one(r, "Namespace", "monitoring").metadata.labels;
            assert.equal(mon["pod-security.kubernetes.io/enforce"], "restricted");
            const node = one(r, "Namespace", "monitoring-node-exporter").metadata.labels;
            assert.equal(node["pod-security.kubernetes.io/enforce"], "privileged");
            assert.equal(node["pod-security.kubernetes.io/warn"], "baseline");
        });

        it("keeps the Alertmanager configuration and Grafana's password in Secrets, never in plain text", function () {
            assert.deepEqual(one(r, "Secret", "alertmanager-kline-analytics").stringData, { "alertmanager.yaml": "[secret]" });
            assert.equal(one(r, "Secret", "grafana-admin").stringData["admin-password"], "[secret]");
            const text = JSON.stringify(r.resources);
            assert.ok(!text.includes("synth-placeholder-not-a-real-secret"), "a secret stand-in leaked into the rendered inputs");
        });

        it(`scrapes the stable Service's management port every ${interval}`, function () {
            const sm = one(r, "ServiceMonitor", "kline-analytics");
            assert.equal(sm.metadata.namespace, appNs);
            assert.deepEqual(sm.spec.selector.matchLabels, { "app.kubernetes.io/name": "kline-analytics", track: "stable" });
            assert.deepEqual(sm.spec.endpoints, [
                { port: "management", path: "/actuator/prometheus", scheme: "http", interval, scrapeTimeout: "10s" },
            ]);
            // The selected Service really has that port and those labels.
            const svc = one(r, "Service", "kline-analytics");
            assert.ok(svc.spec.ports.some((p: any) => p.name === "management"));
            for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], v, k);
        });

        it("deploys the rule groups: at least 20 alerts, each with severity, summary, description and runbook_url", function () {
            const rule = one(r, "PrometheusRule", "kline-analytics");
            assert.equal(rule.metadata.namespace, appNs);
            const alerts = allAlerts(rule.spec.groups as RuleGroup[]);
            assert.ok(alerts.length >= 20, `${alerts.length} alerts`);
            for (const a of alerts) {
                assert.match(a.labels.severity, /^(critical|warning|info)$/);
                assert.ok(a.annotations.summary && a.annotations.description, a.alert);
                assert.match(
                    a.annotations.runbook_url,
                    /^https:\/\/github.com\/stocksanalyses\/kline-ops\/blob\/main\/docs\/monitoring.md#klineanalytics/,
                );
                assert.equal(a.labels.environment, stack);
                // The pipeline alerts watch this stack's own Prometheus and Alertmanager.
                const selects = a.expr.includes(appNs) || /\{namespace="monitoring", job="kube-prometheus-stack-/.test(a.expr);
                assert.ok(selects || a.alert === "KlineAnalyticsMaintenanceMode", `${a.alert} does not select ${appNs}`);
            }
            assert.ok(
                alerts.some((a) => a.alert === "KlineAnalyticsBackupTooOld"),
                "backup alerts where the stack runs backups",
            );
            for (const name of ["KlineAnalyticsNotificationsFailing", "KlineAnalyticsRuleEvaluationFailures"]) {
                assert.ok(
                    alerts.some((a) => a.alert === name),
                    `${name} where the stack installs Prometheus and Alertmanager`,
                );
            }
        });

        it("probes the external health URL through the blackbox exporter", function () {
            const probe = one(r, "Probe", "kline-analytics-external");
            assert.equal(probe.metadata.namespace, appNs);
            assert.equal(probe.spec.jobName, "kline-analytics-blackbox");
            assert.equal(probe.spec.module, "http_2xx");
            assert.deepEqual(probe.spec.prober, { url: "blackbox-exporter.monitoring.svc:9115", scheme: "http", path: "/probe" });
            const host = one(r, "Ingress", "kline-analytics").spec.rules[0].host;
            assert.deepEqual(probe.spec.targets.staticConfig, { static: [`https://${host}/readyz`], labels: { namespace: appNs } });
        });

        it("ships the dashboard as a ConfigMap for Grafana's sidecar", function () {
            const cm = one(r, "ConfigMap", "kline-analytics-dashboard");
            assert.equal(cm.metadata.namespace, appNs);
            assert.equal(cm.metadata.labels.grafana_dashboard, "1");
            const dashboard = JSON.parse(cm.data["kline-analytics.json"]);
            assert.equal(dashboard.uid, "kline-analytics");
            assert.ok(dashboard.panels.length > 20);
        });

        it("denies by default in `monitoring` and node-exporter's namespace, and allows each workload only its flows", function () {
            const cidr = { development: "10.10.0.0/16", staging: "10.20.0.0/16", production: "10.30.0.0/16" }[stack];
            const api = { to: [{ ipBlock: { cidr } }], ports: [{ protocol: "TCP", port: 443 }] };
            const policies = objects(r, "NetworkPolicy").filter((p) => p.metadata.namespace.startsWith("monitoring"));
            const spec = (ns: string, name: string) => policies.find((p) => p.metadata.namespace === ns && p.metadata.name === name)!.spec;
            for (const ns of ["monitoring", "monitoring-node-exporter"]) {
                assert.deepEqual(spec(ns, "default-deny-all"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, ns);
                assert.deepEqual(spec(ns, "allow-dns-egress").egress[0].ports, [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ]);
            }
            const prometheus = spec("monitoring", "prometheus");
            assert.deepEqual(prometheus.podSelector, { matchLabels: { "app.kubernetes.io/name": "prometheus" } });
            assert.deepEqual(prometheus.egress, [
                { to: [{ namespaceSelector: {} }] },
                {
                    to: [{ ipBlock: { cidr } }],
                    ports: [
                        { protocol: "TCP", port: 10250 },
                        { protocol: "TCP", port: 9100 },
                    ],
                },
                api,
            ]);
            const alertmanager = spec("monitoring", "alertmanager");
            assert.deepEqual(alertmanager.egress[0].ports, [{ protocol: "TCP", port: 443 }]);
            assert.equal(alertmanager.egress[0].to[0].ipBlock.cidr, "0.0.0.0/0");
            assert.ok(alertmanager.egress[0].to[0].ipBlock.except.includes("169.254.0.0/16"), "receivers never at link-local addresses");
            assert.ok(alertmanager.egress[0].to[0].ipBlock.except.includes("10.0.0.0/8"), "receivers are public services");
            assert.deepEqual(alertmanager.egress[1], {
                to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "alertmanager" } } }],
                ports: [
                    { protocol: "TCP", port: 9094 },
                    { protocol: "UDP", port: 9094 },
                ],
            });
            assert.deepEqual(spec("monitoring", "kube-state-metrics").egress, [api]);
            assert.deepEqual(spec("monitoring", "grafana").egress[2], api);
            const operator = spec("monitoring", "prometheus-operator");
            assert.deepEqual(operator.ingress, [{ from: [{ ipBlock: { cidr } }], ports: [{ protocol: "TCP", port: 10250 }] }]);
            assert.deepEqual(operator.egress, [api]);
            assert.deepEqual(spec("monitoring", "prometheus-operator-admission-jobs").egress, [api]);
            // The probed URL is https://<ingress host>/readyz: its port at public addresses.
            assert.deepEqual(spec("monitoring", "blackbox-exporter").egress[0].ports, [{ protocol: "TCP", port: 443 }]);
            assert.deepEqual(spec("monitoring", "allow-prometheus-scrape").ingress, [
                { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }] },
            ]);
            // The charts' pods and install hooks start only once their namespace's policies exist.
            const deps = record(r, RELEASE, "monitoring-kube-prometheus-stack").options.dependsOn!;
            for (const p of policies) {
                const name = `monitoring-netpol-${p.metadata.namespace}-${p.metadata.name}`;
                assert.ok(deps.includes(name), `kube-prometheus-stack must dependsOn ${name}`);
            }
        });

        it("creates the custom resources after the release that installs their CRDs", function () {
            for (const type of ["ServiceMonitor", "PrometheusRule", "Probe"]) {
                for (const cr of resources(r, `kubernetes:monitoring.coreos.com/v1:${type}`)) {
                    assert.ok(
                        cr.options.dependsOn?.includes("monitoring-kube-prometheus-stack"),
                        `${type} ${cr.name} must dependsOn the kube-prometheus-stack release`,
                    );
                }
            }
            assert.match(r.outputs.monitoring.grafana, /^http:\/\/kube-prometheus-stack-grafana\.monitoring\.svc/);
        });
    });
}

describe("monitoring in stack canary", function () {
    let r: RenderResult;
    before(async function () {
        r = await renderStack("canary");
    });

    it("installs no second kube-prometheus-stack, namespace, Probe or dashboard: production's serve the canary", function () {
        assert.deepEqual(
            resources(r, RELEASE)
                .map((x) => x.inputs.chart)
                .filter((c) => /prometheus/.test(c)),
            [],
        );
        assert.equal(objects(r, "Namespace", "monitoring").length, 0);
        assert.equal(objects(r, "Probe").length, 0);
        assert.equal(objects(r, "ConfigMap", "kline-analytics-dashboard").length, 0);
        assert.deepEqual(r.outputs.monitoring, { servedBy: "the production stack's monitoring (namespace monitoring)" });
    });

    it("adds its own ServiceMonitor (the canary Service) and canary-only alerts in production's namespace", function () {
        const sm = one(r, "ServiceMonitor", "kline-analytics-canary");
        assert.equal(sm.metadata.namespace, "kline-analytics-production");
        assert.deepEqual(sm.spec.selector.matchLabels, { "app.kubernetes.io/name": "kline-analytics", track: "canary" });
        assert.equal(sm.spec.endpoints[0].interval, "15s");
        const rule = one(r, "PrometheusRule", "kline-analytics-canary");
        const alerts = allAlerts(rule.spec.groups as RuleGroup[]);
        assert.equal(alerts.length, 16);
        assert.ok(!alerts.some((a) => a.expr.includes("kube-prometheus-stack")), "production's rules watch the shared pipeline");
        assert.ok(alerts.every((a) => a.labels.track === "canary" && a.labels.environment === "canary"));
        assert.ok(
            rule.spec.groups.every((g: RuleGroup) => g.rules.every((x) => "alert" in x)),
            "recording rules come with production",
        );
        assert.notEqual(rule.metadata.name, "kline-analytics", "must not replace production's PrometheusRule");
    });
});
