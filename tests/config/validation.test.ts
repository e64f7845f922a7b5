// Every class of bad value is refused before anything is created, naming the key, the value and
// what is allowed: one table per class ([key, bad value, expected message fragment]), the good
// values next to them that must still pass, and the same refusals through `npm run synth`.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, StackConfig, buildConfig } from "../../config";
import { PROJECT_DIR } from "../../renderer";
import { main as synthMain } from "../../tools/synth";
import { DEFAULT_SECRETS, REQUIRED_CONFIG, mapSource } from "../lib/config-source";

type Environment = "development" | "staging" | "production" | "canary";
/** [key, bad value, expected message fragment, environment (default production), other keys]. */
type Row = [string, string, RegExp, Environment?, Record<string, string>?];

function build(environment: Environment, values: Record<string, string>, secrets = DEFAULT_SECRETS): StackConfig {
    return buildConfig(mapSource({ ...REQUIRED_CONFIG, environment, ...values }, secrets));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The ConfigError's message: must name the key and the value (as JSON) and match the rule. */
function refusal(environment: Environment, values: Record<string, string>, key: string, value: string): string {
    try {
        build(environment, values);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
        const line = err.problems.find((p) => p.startsWith(`kline-analytics:${key} = ${JSON.stringify(value)}`));
        assert.ok(line, `no problem names ${key} = ${JSON.stringify(value)}:\n${err.message}`);
        return line;
    }
    assert.fail(`${key} = ${JSON.stringify(value)} (${environment}) was accepted`);
}

function table(title: string, rows: Row[]): void {
    describe(title, () => {
        for (const [key, value, fragment, environment = "production", extra = {}] of rows) {
            it(`${key} = ${JSON.stringify(value)} (${environment})`, () => {
                const line = refusal(environment, { ...extra, [key]: value }, key, value);
                assert.match(line, fragment);
            });
        }
    });
}

/** Values of the same keys that must still pass: the rules refuse the class, not the key. */
function accepted(title: string, rows: Array<[string, string, Environment?, Record<string, string>?]>): void {
    describe(title, () => {
        for (const [key, value, environment = "production", extra = {}] of rows) {
            it(`${key} = ${JSON.stringify(value)} (${environment})`, () => {
                assert.doesNotThrow(() => build(environment, { ...extra, [key]: value }));
            });
        }
    });
}

describe("validation: numbers within what Kubernetes and the service can take", () => {
    table("refused", [
        ["replicas", "2147483648", /a whole number from 1 to 100 is expected/],
        ["replicas", "2147483647", /from 1 to 100/],
        ["replicas", "101", /from 1 to 100/],
        ["hpaMaxReplicas", "2147483647", /from 1 to 100/],
        ["hpaTargetCpuUtilization", "101", /from 10 to 100 \(percent\)/],
        ["canaryTrafficPercent", "101", /from 0 to 100/, "canary"],
        ["dbPort", "65536", /from 1 to 65535/],
        ["logRetentionDays", "3651", /from 1 to 3650 \(days\)/],
        ["canaryLogRetentionDays", "3651", /from 1 to 3650 \(days\)/],
        ["backupRetentionDays", "100000", /from 1 to 3650 \(days\)/],
        ["backupObjectLockDays", "3651", /from 0 to 3650/],
        ["backupConcurrency", "17", /from 1 to 16/],
        ["elasticsearchNodes", "10", /from 1 to 9/],
        ["kibanaCount", "6", /from 1 to 5/],
        ["prometheusReplicas", "6", /from 1 to 5/],
        ["alertmanagerReplicas", "6", /from 1 to 5/],
        ["logSampleRate", "0x1", /a decimal number is expected/],
        ["logSampleRate", "Infinity", /a decimal number is expected/],
        // The Logback sampling filter takes this value as it is: config/ is where (0, 1] is enforced.
        ["logSampleRate", "0", /a share greater than 0 and at most 1 is expected/],
        ["logSampleRate", "1.5", /a share greater than 0 and at most 1 is expected/],
        ["cpuRequest", "5m", /from 10m to 64 is expected/],
        ["cpuLimit", "65", /from 10m to 64 is expected/],
        ["memoryRequest", "1Mi", /from 64Mi to 256Gi is expected/],
        ["memoryLimit", "300Gi", /from 64Mi to 256Gi is expected/],
        ["javaHeap", "32m", /from 64m to 256g is expected/],
        ["elasticsearchCpu", "50m", /from 100m to 32 is expected/],
        ["elasticsearchMemory", "512Mi", /from 1Gi to 128Gi is expected/],
        ["elasticsearchMemory", "200Gi", /from 1Gi to 128Gi is expected/],
        ["elasticsearchHeap", "128m", /at least 256m is expected/],
        ["elasticsearchStorage", "17Ti", /at most 16Ti is expected/],
        ["prometheusStorage", "20Ti", /at most 16Ti is expected/],
        ["dbInClusterStorage", "1", /from 1Gi to 16Ti is expected/, "development"],
        ["dbInClusterStorage", "100Ti", /from 1Gi to 16Ti is expected/, "development"],
    ]);
    accepted("still accepted", [
        ["replicas", "100", "production", { hpaMaxReplicas: "100" }],
        ["hpaMaxReplicas", "100"],
        ["logSampleRate", "0.5"],
        ["cpuLimit", "64"],
        ["memoryLimit", "256Gi"],
        ["elasticsearchMemory", "80Gi"],
        ["prometheusStorage", "16Ti"],
    ]);
});

describe("validation: values used verbatim", () => {
    table("surrounding whitespace, in every key", [
        ["javaHeap", " 2g", /leading or trailing whitespace is not allowed/],
        ["image", "ghcr.io/stocksanalyses/kline-analytics:1.4.2 ", /leading or trailing whitespace/],
        ["namespace", "kline-analytics-production ", /leading or trailing whitespace/],
        ["ingressHost", "kline.example.com\n", /leading or trailing whitespace/],
        ["replicas", " 3", /leading or trailing whitespace/],
        ["dbEgressCidr", "10.30.0.0/16 ", /leading or trailing whitespace/],
        ["backupSchedule", "0 2 * * * ", /leading or trailing whitespace/],
        ["backupTimeZone", "\tUTC", /leading or trailing whitespace/],
        ["probeUrl", "https://kline.example.com/readyz ", /leading or trailing whitespace/],
        ["oidcProviderUrl", " oidc.eks.us-west-2.amazonaws.com/id/ABC", /leading or trailing whitespace/],
        ["hpaEnabled", "true ", /leading or trailing whitespace/],
    ]);
    table("image tags that mean latest, in any letter case", [
        ["image", "ghcr.io/stocksanalyses/kline-analytics:LATEST", /the tag "LATEST" is not a version/],
        ["image", "ghcr.io/stocksanalyses/kline-analytics:Latest", /the tag "Latest" is not a version/],
        ["dbInClusterImage", "postgres:LaTeSt", /is not a version/, "development"],
        ["backupImage", "ghcr.io/stocksanalyses/kline-backup:LATEST", /is not a version/],
    ]);

    it('" 2g" is reported once, as whitespace only (the trimmed value is a good heap)', () => {
        assert.throws(
            () => build("production", { javaHeap: " 2g" }),
            (err: unknown) => err instanceof ConfigError && err.problems.length === 1,
        );
    });

    it("a secret with surrounding whitespace is refused without showing its value", () => {
        assert.throws(
            () => build("production", {}, { ...DEFAULT_SECRETS, slackWebhookUrl: "https://hooks.slack.com/services/T/B/SECRETVALUE\n" }),
            (err: unknown) => {
                assert.ok(err instanceof ConfigError);
                assert.match(err.message, /slackWebhookUrl \(secret, value not shown\) has leading or trailing whitespace/);
                assert.doesNotMatch(err.message, /SECRETVALUE/);
                return true;
            },
        );
    });
});

describe("validation: namespaces the stack does not own", () => {
    const own = /the app needs a namespace of its own, such as kline-analytics-production/;
    table("refused as the app namespace", [
        ["namespace", "monitoring", /monitoring stack's namespace/],
        ["namespace", "monitoring-node-exporter", /node-exporter's namespace/],
        ["namespace", "logging", /the logging namespace/],
        ["namespace", "logging-shipper", /Filebeat's namespace/],
        ["namespace", "elastic-system", /ECK operator's namespace/],
        ["namespace", "kube-system", /kube-\* namespaces belong to Kubernetes/],
        ["namespace", "kube-public", /kube-\*/],
        ["namespace", "kube-node-lease", own],
        ["namespace", "default", /Kubernetes' default namespace/],
        ["namespace", "ingress-nginx", /ingress controller's namespace/],
        ["namespace", "traefik", /ingress controller's namespace/, "production", { ingressControllerNamespace: "traefik" }],
        ["namespace", "monitoring", /such as kline-analytics-staging/, "staging"],
        ["productionNamespace", "kube-system", /kube-\* namespaces belong to Kubernetes/, "canary"],
        ["productionNamespace", "monitoring", /monitoring stack's namespace/, "canary"],
        ["productionNamespace", "logging", /the logging namespace/, "staging"],
    ]);
    table("refused as the ingress controller's namespace (it may reach the app port)", [
        ["ingressControllerNamespace", "monitoring", /every pod in it could reach the app's HTTP port/],
        ["ingressControllerNamespace", "default", /Kubernetes' default namespace/],
        ["ingressControllerNamespace", "logging", /the logging namespace/],
    ]);
    accepted("still accepted", [
        ["namespace", "kline"],
        ["namespace", "kubernetes-apps"],
        ["productionNamespace", "kline-prod", "canary"],
        ["ingressControllerNamespace", "kube-system"],
    ]);
});

describe("validation: schedules, time zones and durations", () => {
    table("schedules that never fire, or almost never", [
        ["backupSchedule", "0 1 30 2 *", /it never fires: day 30 does not exist in February/],
        ["backupSchedule", "0 1 31 4 *", /it never fires: day 31 does not exist in April/],
        ["backupSchedule", "0 1 31 APR,JUN,SEP,NOV *", /day 31 does not exist in April, June, September, November/],
        ["backupSchedule", "0 1 30-31 2 *", /days 30,31 do not exist in February/],
        ["backupSchedule", "0 1 29 2 *", /fires only on 29 February, once in four years/],
    ]);
    table("time zones that do not exist or are not spelled as Kubernetes looks them up", [
        ["backupTimeZone", "Mars/Olympus", /not a time zone of the IANA database/],
        ["backupTimeZone", "Local", /not a time zone of the IANA database/],
        ["backupTimeZone", "Etc/GMT+13", /not a time zone of the IANA database/],
        ["backupTimeZone", "europe/berlin", /case-sensitive.*use "Europe\/Berlin"/],
        ["backupTimeZone", "EUROPE/BERLIN", /use "Europe\/Berlin"/],
        ["backupTimeZone", "US/Pacific", /old aliases are refused: use "America\/Los_Angeles"/],
        ["backupTimeZone", "utc", /use "UTC"/],
    ]);
    table("durations with absurd magnitudes", [
        ["prometheusRetention", "3650d", /a retention of at most 365d is expected/],
        ["prometheusRetention", "99999999h", /at most 365d/],
        ["backupReplayWindow", "99999d", /from 1h to 30d is expected/],
        ["backupReplayWindow", "5m", /from 1h to 30d is expected/],
        ["restoreWindow", "400d", /from 1h to 14d is expected/, "staging"],
        ["scrapeInterval", "1s", /from 5s to 1m is expected/],
        ["scrapeInterval", "100ms", /from 5s to 1m is expected/],
        ["scrapeInterval", "5m", /from 5s to 1m is expected/],
    ]);
    accepted("still accepted", [
        ["backupSchedule", "0 1 31 * *"],
        ["backupSchedule", "0 1 31 1-4 *"],
        ["backupSchedule", "0 1 28-31 2 *"],
        ["backupSchedule", "0 1 30 2 1"],
        ["backupSchedule", "@weekly"],
        ["backupTimeZone", "UTC"],
        ["backupTimeZone", "Etc/UTC"],
        ["backupTimeZone", "Europe/Berlin"],
        ["backupTimeZone", "Europe/Kyiv"],
        ["backupTimeZone", "America/Argentina/Buenos_Aires"],
        ["backupTimeZone", "Etc/GMT+5"],
        ["prometheusRetention", "365d"],
        ["backupReplayWindow", "90m"],
        ["restoreWindow", "14d", "staging"],
        ["scrapeInterval", "5s"],
        ["scrapeInterval", "1m"],
    ]);
});

describe("validation: network destinations", () => {
    table("database address blocks that open too much or reach what must not be reached", [
        ["dbEgressCidr", "0.0.0.0/0", /a \/0 opens far more than a database network; at most a \/16/],
        ["dbEgressCidr", "::/0", /a \/0 opens far more.*at most a \/44/],
        ["dbEgressCidr", "10.0.0.0/8", /at most a \/16/],
        ["dbEgressCidr", "10.30.0.1/16", /host bits are set: the block is written with its first address, 10\.30\.0\.0\/16/],
        ["dbEgressCidr", "2600:1f14:abc:de00::1/56", /host bits are set.*2600:1f14:abc:de00::\/56/],
        ["dbEgressCidr", "169.254.169.254/32", /overlaps link-local 169\.254\.0\.0\/16, where the instance metadata service/],
        ["dbEgressCidr", "127.0.0.0/16", /overlaps loopback/],
        ["dbEgressCidr", "fe80::/64", /overlaps link-local fe80::\/10/],
        ["dbEgressCidr", "fd00:ec2::254/128", /instance metadata service fd00:ec2::254/],
        ["dbEgressCidr", "::ffff:10.30.0.0/112", /IPv4-mapped/],
        ["dbEgressCidr", "10.30.0.0/33", /an IPv4 or IPv6 CIDR/],
    ]);
    table("probe targets at loopback, link-local or instance metadata addresses", [
        ["probeUrl", "http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is in link-local/],
        ["probeUrl", "http://2852039166/", /169\.254\.169\.254 is in link-local/],
        ["probeUrl", "http://0xa9.0xfe.0xa9.0xfe/", /169\.254\.169\.254 is in link-local/],
        ["probeUrl", "http://[fd00:ec2::254]/", /instance metadata service fd00:ec2::254/],
        ["probeUrl", "http://[fe80::1]/readyz", /link-local fe80::\/10/],
        ["probeUrl", "http://127.0.0.1:8080/readyz", /loopback 127\.0\.0\.0\/8/],
        ["probeUrl", "http://[::1]/readyz", /loopback ::1/],
        ["probeUrl", "http://localhost/readyz", /localhost is loopback/],
        ["probeUrl", "http://instance-data/latest/", /instance metadata service/],
        ["probeUrl", "http://[::ffff:169.254.169.254]/", /IPv4-mapped/],
    ]);
    table("database host literals", [
        ["dbHost", "169.254.169.254", /link-local/],
        ["dbHost", "localhost", /loopback/],
        ["dbHost", "10.99.0.5", /outside dbEgressCidr = "10\.30\.0\.0\/16", so NetworkPolicy would block/],
    ]);
    table("address lists of the API server, the nodes and HTTPS destinations, each block checked like dbEgressCidr", [
        ["apiServerCidrs", "0.0.0.0/0", /0\.0\.0\.0\/0: a \/0 opens far more than the network of a cluster; at most a \/16/],
        ["nodeCidrs", "10.30.0.0/16,10.0.0.0/8", /10\.0\.0\.0\/8: a \/8 opens far more than the network of a cluster/],
        ["apiServerCidrs", "10.30.0.1/16", /host bits are set: the block is written with its first address, 10\.30\.0\.0\/16/],
        ["apiServerCidrs", "169.254.0.0/16", /overlaps link-local 169\.254\.0\.0\/16, where the instance metadata service/],
        ["nodeCidrs", "fd00:ec2::/64", /instance metadata service fd00:ec2::254/],
        ["apiServerCidrs", "10.30.0.0/16,,10.31.0.0/16", /a comma-separated list of CIDR blocks.*an item is empty/],
        ["nodeCidrs", "10.30.0.0/16,10.30.0.0/16", /10\.30\.0\.0\/16 is listed twice/],
        ["appHttpsEgressCidrs", "0.0.0.0/0", /a \/0 opens far more than an HTTPS service's network/],
        ["appHttpsEgressCidrs", "169.254.169.254/32", /overlaps link-local/],
        ["backupHttpsEgressCidrs", "::/0", /a \/0 opens far more than a VPC endpoint's network; at most a \/44/],
        ["backupHttpsEgressCidrs", "10.30.8.7/24", /host bits are set/],
        ["apiServerPort", "0", /a whole number from 1 to 65535/],
        ["apiServerPort", "65536", /a whole number from 1 to 65535/],
    ]);
    it("apiServerCidrs and nodeCidrs are required where monitoring and logging are installed, naming how to find them", () => {
        for (const environment of ["development", "staging", "production"] as const) {
            try {
                build(environment, { apiServerCidrs: "", nodeCidrs: "" });
                assert.fail(`${environment} built without apiServerCidrs`);
            } catch (err) {
                assert.ok(err instanceof ConfigError, String(err));
                assert.ok(err.problems.some((p) => /^kline-analytics:apiServerCidrs is not set: .*kubectl get endpointslices/.test(p)));
                assert.ok(err.problems.some((p) => /^kline-analytics:nodeCidrs is not set: .*kubectl get nodes/.test(p)));
            }
        }
        // The canary installs neither: it needs no address of the cluster.
        assert.deepEqual(build("canary", { apiServerCidrs: "", nodeCidrs: "" }).network.apiServerCidrs, []);
    });
    accepted("still accepted", [
        ["apiServerCidrs", "10.30.0.0/16, 10.31.0.0/16"],
        ["apiServerPort", "6443"],
        ["nodeCidrs", "2600:1f14:abc:de00::/56"],
        ["appHttpsEgressCidrs", "10.30.16.0/20"],
        ["backupHttpsEgressCidrs", "10.30.8.0/24,10.30.9.0/24"],
        ["dbEgressCidr", "10.30.0.0/16"],
        ["dbEgressCidr", "10.30.4.17/32"],
        ["dbEgressCidr", "2600:1f14:abc:de00::/56"],
        ["probeUrl", "https://kline.example.com/readyz"],
        ["probeUrl", "http://10.30.2.4/readyz"],
        ["dbHost", "10.30.2.4"],
    ]);
});

describe("validation: restore targets and scratch space", () => {
    table("refused", [
        ["restoreTargetDb", "postgres", /postgres is a PostgreSQL system database/],
        ["restoreTargetDb", "template0", /system database \(postgres, template0, template1 are refused\)/],
        ["restoreTargetDb", "template1", /system database/, "staging", { restoreWindow: "24h" }],
        ["restoreTargetDb", "kline_analytics", /never replaces the live database/],
        ["restoreTargetDb", "orders", /never replaces the live database/, "production", { dbName: "orders" }],
        ["dbName", "template1", /a template database cannot hold the app's data/],
        ["restoreScratchSize", "1", /from 1Gi to 1Ti is expected/],
        ["restoreScratchSize", "100Mi", /from 1Gi to 1Ti is expected/],
        ["restoreScratchSize", "2Ti", /from 1Gi to 1Ti is expected/],
    ]);
    accepted("still accepted", [
        ["restoreTargetDb", "kline_dr"],
        ["restoreScratchSize", "1Gi"],
        ["dbName", "postgres"],
    ]);
});

describe("validation: IRSA settings", () => {
    const arn = REQUIRED_CONFIG.oidcProviderArn;
    table("refused", [
        ["oidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/*", /wildcards \(\* or \?\) are not allowed/],
        ["oidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/*", /wildcards/],
        ["oidcProviderArn", "arn:aws:iam::*:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC", /wildcards/],
        [
            "oidcProviderUrl",
            "oidc.eks.us-west-2.amazonaws.com/id/OTHER",
            new RegExp(`does not match oidcProviderArn, whose provider is "${escape(arn.split("oidc-provider/")[1])}"`),
        ],
        // The ARN ends with it, but is not exactly it: still another provider.
        ["oidcProviderUrl", "us-west-2.amazonaws.com/id/ABC", /does not match oidcProviderArn/],
    ]);
    it("an aws:region with surrounding whitespace or another shape is refused", () => {
        const src = mapSource({ ...REQUIRED_CONFIG, environment: "production" });
        for (const region of ["us-west-2 ", "US-WEST-2"]) {
            assert.throws(() => buildConfig({ ...src, getIn: () => region }), new RegExp(`aws:region = ${escape(JSON.stringify(region))}`));
        }
    });
});

describe("validation: production without its safety nets, only by a named override", () => {
    it("backupEnabled=false is refused in production", () => {
        const line = refusal("production", { backupEnabled: "false" }, "backupEnabled", "false");
        assert.match(line, /production runs with backups.*allowProductionWithoutBackups to true/);
    });
    it("an unset heartbeatUrl is refused in production (as a real preview sees it)", () => {
        assert.throws(
            () => build("production", {}, { dbPassword: "pw" }),
            /kline-analytics:heartbeatUrl is not set: production needs a dead man's switch.*allowProductionWithoutHeartbeat/,
        );
    });
    it("with the overrides, production builds and carries a loud warning for each", () => {
        const cfg = build(
            "production",
            { backupEnabled: "false", allowProductionWithoutBackups: "true", allowProductionWithoutHeartbeat: "true" },
            {
                dbPassword: "pw",
            },
        );
        assert.equal(cfg.backup.enabled, false);
        assert.equal(cfg.monitoring.heartbeatUrl, undefined);
        assert.equal(cfg.warnings.length, 2);
        assert.match(cfg.warnings[0], /^OVERRIDE allowProductionWithoutBackups = true: production may run WITHOUT BACKUPS/);
        assert.match(cfg.warnings[1], /^OVERRIDE allowProductionWithoutHeartbeat = true: production may run WITHOUT A DEAD MAN'S SWITCH/);
    });
    it("without overrides there are no warnings; other stacks need neither", () => {
        assert.deepEqual(build("production", {}).warnings, []);
        for (const env of ["development", "staging"] as const) {
            assert.doesNotThrow(() => build(env, { backupEnabled: "false" }, { dbPassword: "pw" }));
        }
    });
    table("an override set outside production", [
        ["allowProductionWithoutBackups", "true", /./, "staging"],
        ["allowProductionWithoutHeartbeat", "true", /./, "canary"],
    ]);
    it("an override outside production is refused with the reason", () => {
        assert.throws(
            () => build("staging", { allowProductionWithoutBackups: "true" }),
            /allowProductionWithoutBackups = "true" is read only by the production stack; remove it from the staging stack/,
        );
    });
});

describe("validation: problems of every class are reported at once", () => {
    it("one ConfigError lists them all", () => {
        const bad = BAD_PER_CLASS;
        assert.throws(
            () => build("production", Object.fromEntries(bad.map(([k, v]) => [k, v]))),
            (err: unknown) => {
                assert.ok(err instanceof ConfigError);
                for (const [key, value] of bad) assert.ok(err.message.includes(`${key} = ${JSON.stringify(value)}`), `${key} missing`);
                return true;
            },
        );
    });
});

/** One bad production value per class, with a fragment of its rule. */
const BAD_PER_CLASS: Array<[string, string, RegExp]> = [
    ["replicas", "2147483648", /a whole number from 1 to 100/],
    ["javaHeap", " 2g", /leading or trailing whitespace/],
    ["namespace", "monitoring", /monitoring stack's namespace/],
    ["backupSchedule", "0 1 30 2 *", /never fires/],
    ["dbEgressCidr", "0.0.0.0/0", /opens far more than a database network/],
    ["apiServerCidrs", "10.30.0.0/16,0.0.0.0/0", /0\.0\.0\.0\/0: a \/0 opens far more than the network of a cluster/],
    ["restoreScratchSize", "1", /from 1Gi to 1Ti/],
    ["oidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/*", /wildcards/],
    ["backupEnabled", "false", /production runs with backups/],
];

describe("validation: npm run synth refuses the same values", () => {
    const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "kline-validation-"));

    /** synth's command in this process: exit code, stdout and stderr. */
    async function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        const out: string[] = [];
        const err: string[] = [];
        const [log, error] = [console.log, console.error];
        console.log = (...a: unknown[]) => void out.push(a.join(" "));
        console.error = (...a: unknown[]) => void err.push(a.join(" "));
        try {
            const code = await synthMain(args);
            return { code, stdout: out.join("\n"), stderr: err.join("\n") };
        } finally {
            [console.log, console.error] = [log, error];
        }
    }

    for (const [key, value, rule] of BAD_PER_CLASS) {
        it(`--config ${key}=${JSON.stringify(value)}: exit 1 naming the key, the value and the rule`, async () => {
            const r = await synth(["--stack", "production", "--out", tmp(), "--config", `${key}=${value}`]);
            assert.equal(r.code, 1, r.stdout);
            assert.ok(r.stderr.includes(`kline-analytics:${key} = ${JSON.stringify(value)}`), r.stderr);
            assert.match(r.stderr, rule);
        });
    }

    it("the command itself (a new process) exits 1 and names every problem of a bad config", () => {
        const args = ["--transpile-only", path.join(PROJECT_DIR, "tools/synth.ts"), "--stack", "production", "--out", tmp()];
        for (const [key, value] of BAD_PER_CLASS) args.push("--config", `${key}=${value}`);
        const res = spawnSync(path.join(PROJECT_DIR, "node_modules/.bin/ts-node"), args, { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.equal(res.status, 1, res.stderr);
        assert.match(res.stderr, /^synth: stack production: invalid stack configuration:/);
        for (const [key, value, rule] of BAD_PER_CLASS) {
            assert.ok(res.stderr.includes(`kline-analytics:${key} = ${JSON.stringify(value)}`), `${key}: ${res.stderr}`);
            assert.match(res.stderr, rule);
        }
    });

    it("an override renders, with a loud warning line for each", async () => {
        const r = await synth([
            "--stack",
            "production",
            "--out",
            tmp(),
            "--config",
            "backupEnabled=false",
            "--config",
            "allowProductionWithoutBackups=true",
            "--config",
            "allowProductionWithoutHeartbeat=true",
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^ {2}warning: OVERRIDE allowProductionWithoutBackups = true: production may run WITHOUT BACKUPS/m);
        assert.match(r.stdout, /^ {2}warning: OVERRIDE allowProductionWithoutHeartbeat = true/m);
    });

    it("the committed production file renders (secrets get stand-ins) and synth says a real preview needs heartbeatUrl", async () => {
        const r = await synth(["--stack", "production", "--out", tmp()]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stdout,
            /warning: heartbeatUrl is not set in Pulumi\.production\.yaml; rendered with a stand-in .*A real pulumi preview REFUSES production without it, unless allowProductionWithoutHeartbeat is true/,
        );
        assert.doesNotMatch(r.stdout, /OVERRIDE/);
    });
});
