// Helm values of the two monitoring releases and the monitoring config, as pure functions:
// per-environment sizes, selectors, Alertmanager from our Secret, Grafana's sidecar, Pod
// Security (restricted everywhere in `monitoring`), and config values that are refused.
import { strict as assert } from "assert";
import { buildConfig, ConfigError, StackConfig } from "../../config";
import { ENVIRONMENTS } from "../../config/environments";
import { parseRetention, prometheusRetentionSize } from "../../config/monitoring";
import { parseMuteWindows } from "../../config/mute-windows";
import { checkReceivers } from "../../components/monitoring";
import { blackboxExporterValues, kubePrometheusStackValues } from "../../components/monitoring/values";
import { REQUIRED_CONFIG, mapSource } from "../lib/config-source";
import { restrictedViolations } from "../lib/pss";

/** The backup jobs' database roles: required while backups are enabled, beside the secrets these tests vary. */
const ROLES = { backupDbPassword: "backup-pw", restoreDbPassword: "restore-pw" };
const SECRETS = {
    ...ROLES,
    dbPassword: "pw",
    pagerdutyRoutingKey: "key",
    slackWebhookUrl: "https://hooks.slack.com/services/T/B/X",
    heartbeatUrl: "https://hc.example.com/ping/kline",
};

function config(environment: string, values: Record<string, string> = {}, secrets: Record<string, string> = SECRETS): StackConfig {
    return buildConfig(mapSource({ ...REQUIRED_CONFIG, environment, ...values }, secrets));
}

function kpsValues(environment: "development" | "staging" | "production", values: Record<string, string> = {}): any {
    const cfg = config(environment, values);
    return kubePrometheusStackValues({ environment, install: cfg.monitoring.install!, scrapeInterval: cfg.monitoring.scrapeInterval });
}

const EXPECTED = {
    development: {
        prometheus: 1,
        alertmanager: 1,
        retention: "3d",
        storage: "10Gi",
        retentionSize: "8GB",
        interval: "30s",
        antiAffinity: "soft",
    },
    staging: {
        prometheus: 1,
        alertmanager: 1,
        retention: "7d",
        storage: "50Gi",
        retentionSize: "42GB",
        interval: "30s",
        antiAffinity: "soft",
    },
    production: {
        prometheus: 2,
        alertmanager: 3,
        retention: "15d",
        storage: "200Gi",
        retentionSize: "170GB",
        interval: "15s",
        antiAffinity: "hard",
    },
} as const;

describe("monitoring: kube-prometheus-stack values", function () {
    for (const env of ["development", "staging", "production"] as const) {
        const want = EXPECTED[env];
        it(`${env}: ${want.prometheus} Prometheus (${want.retention}, ${want.storage}), ${want.alertmanager} Alertmanager, scrape every ${want.interval}`, function () {
            const v = kpsValues(env);
            const p = v.prometheus.prometheusSpec;
            assert.equal(p.replicas, want.prometheus);
            assert.equal(p.retention, want.retention);
            assert.equal(p.retentionSize, want.retentionSize);
            assert.equal(p.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, want.storage);
            assert.equal(p.scrapeInterval, want.interval);
            assert.equal(p.evaluationInterval, want.interval);
            assert.deepEqual(p.resources, ENVIRONMENTS[env].monitoring!.prometheusResources);
            assert.equal(p.podAntiAffinity, want.antiAffinity);
            assert.deepEqual(p.externalLabels, { environment: env });
            assert.equal(v.alertmanager.alertmanagerSpec.replicas, want.alertmanager);
            assert.equal(v.alertmanager.alertmanagerSpec.podAntiAffinity, want.antiAffinity);
        });
    }

    it("selects ServiceMonitors, PodMonitors, Probes and PrometheusRules of every namespace and release", function () {
        const p = kpsValues("production").prometheus.prometheusSpec;
        for (const kind of ["serviceMonitor", "podMonitor", "probe", "rule", "scrapeConfig"]) {
            assert.equal(p[`${kind}SelectorNilUsesHelmValues`], false, kind);
        }
        for (const kind of ["serviceMonitor", "podMonitor", "probe", "rule"]) assert.deepEqual(p[`${kind}NamespaceSelector`], {}, kind);
    });

    it("takes the Alertmanager configuration from our Secret and no secret from the values", function () {
        const v = kpsValues("production");
        assert.equal(v.alertmanager.alertmanagerSpec.useExistingSecret, true);
        assert.equal(v.alertmanager.alertmanagerSpec.configSecret, "alertmanager-kline-analytics");
        assert.equal(v.alertmanager.config, undefined);
        const text = JSON.stringify(v);
        for (const secret of Object.values(SECRETS)) assert.ok(!text.includes(secret), `values contain a secret: ${secret}`);
        assert.deepEqual(v.grafana.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    });

    it("enables Grafana's dashboard sidecar for ConfigMaps labelled grafana_dashboard=1 in every namespace", function () {
        assert.deepEqual(kpsValues("staging").grafana.sidecar.dashboards, {
            enabled: true,
            label: "grafana_dashboard",
            labelValue: "1",
            searchNamespace: "ALL",
        });
    });

    it("gives every pod of the monitoring namespace a restricted security context; node-exporter lives elsewhere", function () {
        const v = kpsValues("production");
        const pods: Record<string, any> = {
            operator: {
                securityContext: v.prometheusOperator.securityContext,
                containers: [{ name: "operator", securityContext: v.prometheusOperator.containerSecurityContext }],
            },
            grafana: {
                securityContext: v.grafana.securityContext,
                containers: [
                    { name: "grafana", securityContext: v.grafana.containerSecurityContext },
                    { name: "sidecar", securityContext: v.grafana.sidecar.securityContext },
                ],
            },
            "kube-state-metrics": {
                securityContext: v["kube-state-metrics"].securityContext,
                containers: [{ name: "ksm", securityContext: v["kube-state-metrics"].containerSecurityContext }],
            },
            "webhook jobs": {
                securityContext: v.prometheusOperator.admissionWebhooks.patch.securityContext,
                containers: [
                    { name: "create", securityContext: v.prometheusOperator.admissionWebhooks.createSecretJob.securityContext },
                    { name: "patch", securityContext: v.prometheusOperator.admissionWebhooks.patchWebhookJob.securityContext },
                ],
            },
            blackbox: {
                securityContext: blackboxExporterValues(ENVIRONMENTS.production.monitoring!.blackboxReplicas).podSecurityContext,
                containers: [
                    {
                        name: "blackbox",
                        securityContext: blackboxExporterValues(ENVIRONMENTS.production.monitoring!.blackboxReplicas).securityContext,
                    },
                ],
            },
        };
        for (const [what, spec] of Object.entries(pods)) assert.deepEqual(restrictedViolations(spec), [], what);
        // Prometheus and Alertmanager containers get the operator's restricted defaults; their pod context is ours.
        for (const sc of [v.prometheus.prometheusSpec.securityContext, v.alertmanager.alertmanagerSpec.securityContext]) {
            assert.equal(sc.runAsNonRoot, true);
            assert.deepEqual(sc.seccompProfile, { type: "RuntimeDefault" });
        }
        assert.deepEqual(v.grafana.persistence, { enabled: false });
        assert.equal(v["prometheus-node-exporter"].namespaceOverride, "monitoring-node-exporter");
    });

    it("turns off the control-plane scrapes EKS does not expose", function () {
        const v = kpsValues("production");
        for (const c of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) assert.deepEqual(v[c], { enabled: false }, c);
    });
});

describe("monitoring: blackbox exporter values", function () {
    it("has an http_2xx module that wants TLS and any 2xx", function () {
        const v: any = blackboxExporterValues(ENVIRONMENTS.staging.monitoring!.blackboxReplicas);
        assert.equal(v.fullnameOverride, "blackbox-exporter");
        assert.deepEqual(Object.keys(v.config.modules), ["http_2xx"]);
        const m = v.config.modules.http_2xx;
        assert.equal(m.prober, "http");
        assert.deepEqual(m.http.valid_status_codes, []);
        assert.equal(m.http.fail_if_not_ssl, true);
        assert.equal(v.replicas, 1);
        assert.equal(blackboxExporterValues(ENVIRONMENTS.production.monitoring!.blackboxReplicas).replicas, 2);
        assert.equal(v.automountServiceAccountToken, false);
        assert.deepEqual(v.securityContext.capabilities, { drop: ["ALL"] });
        assert.equal(v.securityContext.readOnlyRootFilesystem, true);
    });
});

describe("monitoring: configuration", function () {
    it("canary installs no monitoring; the other stacks do, with pinned charts", function () {
        assert.equal(config("canary").monitoring.install, undefined);
        const m = config("production").monitoring.install!;
        assert.deepEqual(m.kubePrometheusStack, {
            name: "kube-prometheus-stack",
            version: "88.5.3",
            repo: "https://prometheus-community.github.io/helm-charts",
        });
        assert.deepEqual(m.blackboxExporter, {
            name: "prometheus-blackbox-exporter",
            version: "11.17.2",
            repo: "https://prometheus-community.github.io/helm-charts",
        });
        assert.equal(config("production").monitoring.probeUrl, "https://kline.example.com/readyz");
    });

    it("stack values override the matrix", function () {
        const v = kpsValues("staging", {
            prometheusReplicas: "2",
            prometheusRetention: "30d",
            prometheusStorage: "100Gi",
            alertmanagerReplicas: "3",
        });
        assert.equal(v.prometheus.prometheusSpec.replicas, 2);
        assert.equal(v.prometheus.prometheusSpec.retention, "30d");
        assert.equal(v.prometheus.prometheusSpec.retentionSize, prometheusRetentionSize(100 * 1024 ** 3));
        assert.equal(v.alertmanager.alertmanagerSpec.replicas, 3);
        const windows =
            '[{"name":"weekly","routes":["warning"],"timeIntervals":[{"weekdays":["sunday"],"times":[{"start_time":"02:00","end_time":"04:00"}]}]}]';
        assert.deepEqual(config("staging", { muteWindows: windows }).monitoring.install!.muteWindows[0].routes, ["warning"]);
    });

    it("refuses bad values, naming the key, the value and what is allowed", function () {
        const rejects = (values: Record<string, string>, re: RegExp) =>
            assert.throws(
                () => config("production", values),
                (err: unknown) => err instanceof ConfigError && re.test((err as Error).message),
            );
        rejects({ prometheusRetention: "12h" }, /prometheusRetention = "12h": a retention of at least 1 day is expected/);
        rejects({ prometheusReplicas: "0" }, /prometheusReplicas = "0": a whole number from 1 to 5/);
        rejects({ prometheusStorage: "1Gi" }, /prometheusStorage = "1Gi": at least 2Gi is expected/);
        rejects({ slackChannel: "alerts" }, /slackChannel = "alerts": a Slack channel/);
        rejects({ muteWindows: "{not json" }, /muteWindows = "\{not json": a JSON array is expected/);
        rejects(
            { muteWindows: '[{"name":"w","routes":["info"],"timeIntervals":[{}]}]' },
            /route 'info' is not one of critical, warning, canary/,
        );
        rejects({ runbookBaseUrl: "https://x/docs.md#a" }, /runbookBaseUrl = .*without '#'/);
        assert.equal(parseRetention("30m").ok, false);
        assert.equal(
            parseMuteWindows('[{"name":"w","routes":["warning"],"timeIntervals":[{"times":[{"start_time":"25:00","end_time":"26:00"}]}]}]')
                .ok,
            false,
        );
    });

    it("staging and production refuse to deploy without the pager and chat secrets; development may", function () {
        assert.throws(
            () =>
                checkReceivers(
                    "production",
                    config("production", {}, { ...ROLES, dbPassword: "pw", heartbeatUrl: SECRETS.heartbeatUrl }).monitoring,
                ),
            /needs pagerdutyRoutingKey and slackWebhookUrl: set `pulumi config set --secret pagerdutyRoutingKey/,
        );
        assert.throws(
            () => checkReceivers("staging", config("staging", {}, { ...ROLES, dbPassword: "pw", pagerdutyRoutingKey: "k" }).monitoring),
            /needs slackWebhookUrl/,
        );
        assert.doesNotThrow(() => checkReceivers("development", config("development", {}, ROLES).monitoring));
        assert.doesNotThrow(() => checkReceivers("production", config("production").monitoring));
    });
});
