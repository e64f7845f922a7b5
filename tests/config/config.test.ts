// The config module: environment defaults, and every invalid value rejected with its key named.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ConfigError, ConfigSource, SECRET_KEYS, StackConfig, buildConfig } from "../../config";
import { ENVIRONMENTS } from "../../config/environments";
import { checkCron, jvmNonHeapLimits, nonHeapHeadroom, parseCpu, parseImage, parseJvmSize, parseMemory } from "../../config/validate";
import { PROJECT_DIR, STACKS } from "../../renderer";
import { REQUIRED_CONFIG, mapSource } from "../lib/config-source";

const BASE: Record<string, string> = { environment: "production", ...REQUIRED_CONFIG };
const source = mapSource;

function build(overrides: Record<string, string>, secrets?: Record<string, string>, plaintext?: string[]): StackConfig {
    return buildConfig(source({ ...BASE, ...overrides }, secrets, plaintext));
}

function rejects(overrides: Record<string, string>, ...expected: RegExp[]): void {
    assert.throws(
        () => build(overrides),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
            for (const re of expected) assert.match((err as Error).message, re);
            return true;
        },
    );
}

describe("config: environment defaults", () => {
    for (const env of ["development", "staging", "production", "canary"] as const) {
        it(`${env}: applies its row of the environment matrix when the stack sets nothing else`, () => {
            const cfg = build({ environment: env });
            const row = ENVIRONMENTS[env];
            assert.equal(cfg.app.replicas, row.app.replicas);
            assert.deepEqual(cfg.app.resources, {
                requests: { cpu: row.app.cpuRequest, memory: row.app.memoryRequest },
                limits: { cpu: row.app.cpuLimit, memory: row.app.memoryLimit },
            });
            assert.equal(cfg.app.javaHeap, row.app.javaHeap);
            assert.equal(cfg.app.logLevel, row.app.logLevel);
            assert.equal(cfg.app.logSampleRate, row.app.logSampleRate);
            assert.equal(cfg.logging.retentionDays, row.app.logRetentionDays);
            assert.equal(cfg.backup.enabled, row.backup !== undefined);
            assert.equal(cfg.monitoring.scrapeInterval, row.app.scrapeInterval);
            assert.equal(cfg.app.antiAffinity, row.app.antiAffinity);
        });
    }

    it("matches the environment matrix values literally", () => {
        const rows = Object.fromEntries(
            Object.entries(ENVIRONMENTS).map(([k, r]) => [
                k,
                [
                    r.app.replicas,
                    r.app.cpuRequest,
                    r.app.cpuLimit,
                    r.app.memoryLimit,
                    r.app.javaHeap,
                    r.app.logLevel,
                    r.app.logSampleRate,
                    r.app.logRetentionDays,
                ],
            ]),
        );
        assert.deepEqual(rows, {
            development: [1, "100m", "250m", "512Mi", "256m", "DEBUG", 0.1, 30],
            staging: [2, "500m", "1000m", "2Gi", "1g", "INFO", 0.05, 60],
            production: [3, "1000m", "2000m", "4Gi", "2g", "WARN", 0.01, 90],
            canary: [1, "500m", "1000m", "2Gi", "1g", "INFO", 0.1, 30],
        });
        assert.deepEqual(
            [ENVIRONMENTS.development, ENVIRONMENTS.staging, ENVIRONMENTS.production].map((r) => [
                r.backup!.schedule,
                r.backup!.retentionDays,
                r.backup!.concurrency,
            ]),
            [
                ["0 1 * * *", 7, 3],
                ["30 1 * * *", 14, 4],
                ["0 2 * * *", 30, 5],
            ],
        );
        assert.equal(ENVIRONMENTS.canary.backup, undefined);
    });

    it("the canary runs in production's namespace, does not own it, and takes 10% by default", () => {
        const cfg = build({ environment: "canary" });
        assert.equal(cfg.namespace, "kline-analytics-production");
        assert.equal(cfg.ownsNamespace, false);
        assert.equal(cfg.app.track, "canary");
        assert.equal(cfg.app.name, "kline-analytics-canary");
        assert.equal(cfg.app.canary?.trafficPercent, 10);
        assert.equal(build({ environment: "canary", canaryTrafficPercent: "25" }).app.canary?.trafficPercent, 25);
    });

    it("the canary needs no database address block: production's NetworkPolicies cover its pods", () => {
        const cfg = build({ environment: "canary", dbEgressCidr: "" });
        assert.equal(cfg.database.egressCidr, undefined);
        assert.throws(() => build({ environment: "staging", dbEgressCidr: "" }), /dbEgressCidr is not set/);
    });

    it("JVM metaspace and direct-memory caps leave at least 35% of the non-heap reserve for threads and code cache", () => {
        for (const limit of ["512Mi", "768Mi", "1Gi", "1536Mi", "2Gi", "3Gi", "4Gi", "8Gi", "16Gi"]) {
            const bytes = (parseMemory(limit) as { value: number }).value;
            const { maxMetaspace, maxDirectMemory } = jvmNonHeapLimits(bytes);
            const caps = [maxMetaspace, maxDirectMemory].map((v) => (parseJvmSize(v) as { value: number }).value);
            assert.ok(caps[0] >= 64 * 1024 ** 2, `${limit}: metaspace ${maxMetaspace} too small for a Spring service`);
            assert.ok(caps[0] + caps[1] <= 0.65 * nonHeapHeadroom(bytes), `${limit}: ${maxMetaspace} + ${maxDirectMemory}`);
        }
        assert.deepEqual(build({}).app.jvm, { maxMetaspace: "256m", maxDirectMemory: "192m" });
        assert.deepEqual(build({ environment: "development" }).app.jvm, { maxMetaspace: "112m", maxDirectMemory: "48m" });
    });

    it("a stack value overrides the matrix", () => {
        const cfg = build({ replicas: "5", hpaMaxReplicas: "12", javaHeap: "2560m" });
        assert.equal(cfg.app.replicas, 5);
        assert.equal(cfg.app.hpa.maxReplicas, 12);
        assert.equal(cfg.app.javaHeap, "2560m");
    });
});

describe("config: invalid values are rejected, naming key, value and what is allowed", () => {
    it("unknown environment", () =>
        rejects({ environment: "prod" }, /kline-analytics:environment = "prod"/, /development, staging, production, canary/));
    it("replicas < 1", () => rejects({ replicas: "0" }, /kline-analytics:replicas = "0"/, /from 1 to 100/));
    it("replicas not a number", () => rejects({ replicas: "three" }, /kline-analytics:replicas = "three"/));
    it("CPU quantity that does not parse", () => rejects({ cpuLimit: "2 cores" }, /kline-analytics:cpuLimit = "2 cores"/, /CPU quantity/));
    it("memory quantity that does not parse", () =>
        rejects({ memoryLimit: "4GB" }, /kline-analytics:memoryLimit = "4GB"/, /memory quantity/));
    it("CPU request > limit", () => rejects({ cpuRequest: "3", cpuLimit: "2000m" }, /cpuRequest = "3" is larger than cpuLimit = "2000m"/));
    it("memory request > limit", () => rejects({ memoryRequest: "5Gi" }, /memoryRequest = "5Gi" is larger than memoryLimit = "4Gi"/));
    it("JVM heap equal to the memory limit", () =>
        rejects({ javaHeap: "4g" }, /kline-analytics:javaHeap = "4g" does not fit memoryLimit = "4Gi"/, /at most 3Gi/));
    it("JVM heap leaving less than a quarter of the limit", () =>
        rejects({ javaHeap: "3100m" }, /javaHeap = "3100m"/, /1Gi outside the heap/));
    it("JVM heap leaving less than 256Mi in a small container", () =>
        rejects({ environment: "development", javaHeap: "300m" }, /javaHeap = "300m" does not fit memoryLimit = "512Mi"/, /at most 256Mi/));
    it("JVM heap in the wrong notation", () => rejects({ javaHeap: "2Gi" }, /javaHeap = "2Gi"/, /JVM size/));
    it("malformed cron schedule: hour out of range", () =>
        rejects({ backupSchedule: "0 25 * * *" }, /backupSchedule = "0 25 \* \* \*"/, /hour field/));
    it("malformed cron schedule: wrong field count", () => rejects({ backupSchedule: "0 2 * *" }, /backupSchedule/, /5 fields/));
    it("cron schedule with a TZ prefix", () => rejects({ backupSchedule: "TZ=UTC 0 2 * * *" }, /backupSchedule/, /backupTimeZone/));
    it("log retention < 1 day", () => rejects({ logRetentionDays: "0" }, /kline-analytics:logRetentionDays = "0"/, /days/));
    it("backup retention < 1 day", () => rejects({ backupRetentionDays: "0" }, /kline-analytics:backupRetentionDays = "0"/));
    it("canary traffic above 100", () =>
        rejects({ environment: "canary", canaryTrafficPercent: "101" }, /canaryTrafficPercent = "101"/, /from 0 to 100/));
    it("canary traffic below 0", () => rejects({ environment: "canary", canaryTrafficPercent: "-5" }, /canaryTrafficPercent = "-5"/));
    it("image without a tag", () =>
        rejects({ image: "ghcr.io/stocksanalyses/kline-analytics" }, /kline-analytics:image/, /no tag or digest/));
    it("image tagged latest", () =>
        rejects({ image: "ghcr.io/stocksanalyses/kline-analytics:latest" }, /kline-analytics:image/, /"latest" is not a version/));
    it("log sample rate outside (0, 1]", () => rejects({ logSampleRate: "1.5" }, /logSampleRate = "1.5"/));
    it("unknown log level", () => rejects({ logLevel: "VERBOSE" }, /logLevel = "VERBOSE"/, /TRACE, DEBUG, INFO, WARN, ERROR/));
    it("unknown anti-affinity mode", () => rejects({ antiAffinity: "always" }, /antiAffinity = "always"/, /none, preferred, required/));
    it("autoscaler maximum below the replica count", () =>
        rejects({ hpaMaxReplicas: "2" }, /hpaMaxReplicas = "2" is below replicas = "3"/));
    it("external database without a password", () => assert.throws(() => build({}, {}), /dbPassword is not set.*--secret dbPassword/));
    it("password stored in plain text", () =>
        assert.throws(() => build({}, { dbPassword: "pw" }, ["dbPassword"]), /dbPassword is stored in plain text/));
    it("TLS Secret name that is not a Kubernetes object name", () =>
        rejects({ ingressTlsSecretName: "Kline_TLS" }, /kline-analytics:ingressTlsSecretName = "Kline_TLS"/, /Kubernetes object name/));
    it("a missing required key", () => rejects({ ingressHost: "" }, /kline-analytics:ingressHost is not set/));
    it("every problem is reported at once", () =>
        rejects({ replicas: "0", javaHeap: "8g", image: "repo:latest" }, /replicas/, /javaHeap/, /image/));
});

describe("config: parsers", () => {
    it("parses Kubernetes and JVM quantities", () => {
        assert.deepEqual(
            [parseCpu("250m"), parseCpu("2"), parseCpu("0.5")],
            [250, 2000, 500].map((value) => ({ ok: true, value })),
        );
        assert.deepEqual(parseMemory("512Mi"), { ok: true, value: 512 * 1024 ** 2 });
        assert.deepEqual(parseMemory("1G"), { ok: true, value: 1e9 });
        assert.deepEqual(parseJvmSize("2g"), { ok: true, value: 2 * 1024 ** 3 });
        assert.equal(parseCpu("-1").ok, false);
        assert.equal(parseMemory("0").ok, false);
    });
    it("accepts valid cron schedules and macros, rejects bad ones", () => {
        for (const ok of ["0 2 * * *", "30 1 * * 1-5", "*/15 * * * *", "0 0 1 JAN,JUL *", "@daily"])
            assert.equal(checkCron(ok), undefined, ok);
        for (const bad of ["60 * * * *", "* * * * * *", "0 2 * * 8", "5-1 * * * *", "*/0 * * * *", "@often"])
            assert.notEqual(checkCron(bad), undefined, bad);
    });
    it("parses image references with registry ports and digests", () => {
        const digest = "sha256:" + "a".repeat(64);
        assert.deepEqual(parseImage(`registry.local:5000/team/app@${digest}`), {
            ok: true,
            value: { repository: "registry.local:5000/team/app", tag: undefined, digest },
        });
        assert.deepEqual(parseImage("registry.local:5000/team/app:1.2.3"), {
            ok: true,
            value: { repository: "registry.local:5000/team/app", tag: "1.2.3", digest: undefined },
        });
        assert.equal(parseImage("registry.local:5000/team/app").ok, false);
    });
});

describe("config: Pulumi.yaml declares exactly the keys the program reads", () => {
    const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
    const declared = new Set(Object.keys(project.config));

    it("every declared key is documented and secrets default to unset", () => {
        for (const [key, spec] of Object.entries<any>(project.config)) {
            assert.ok(typeof spec.description === "string" && spec.description.length > 10, `${key} has no description`);
            assert.ok(["string", "integer", "boolean"].includes(spec.type), `${key} has type ${spec.type}`);
        }
        for (const key of SECRET_KEYS) {
            assert.equal(project.config[key].default, "", `${key} must not have a default value`);
            assert.match(project.config[key].description, /SECRET/);
        }
    });

    it("the config module reads every declared key and nothing undeclared", () => {
        const read = new Set<string>();
        for (const environment of ["development", "staging", "production", "canary"]) {
            // A restore request is one of name or window, and never on the canary (it has no backups).
            const restores: Record<string, string>[] =
                environment === "canary"
                    ? []
                    : [{ restoreBackupName: "kline_analytics_backup_20240101_020000.dump.zst" }, { restoreWindow: "24h" }];
            for (const extra of [{} as Record<string, string>, ...restores]) {
                const src = source({ ...BASE, environment, ...extra });
                const spy: ConfigSource = {
                    ...src,
                    get: (k) => (read.add(k), src.get(k)),
                    getSecret: (k) => (read.add(k), src.getSecret(k)),
                };
                buildConfig(spy);
            }
        }
        assert.deepEqual(
            [...read].filter((k) => !declared.has(k)),
            [],
            "read but not declared in Pulumi.yaml",
        );
        assert.deepEqual(
            [...declared].filter((k) => !read.has(k)),
            [],
            "declared in Pulumi.yaml but never read",
        );
    });

    it("each stack file is in the form `pulumi` writes: every plain value a string (stack init leaves no diff)", () => {
        // `pulumi stack init` and `pulumi config set` rewrite numbers and booleans as quoted strings.
        for (const stack of STACKS) {
            const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
            const values = parse(text).config;
            for (const [key, value] of Object.entries<any>(values)) {
                if (value !== null && typeof value === "object") continue; // secure: or structured values
                assert.equal(typeof value, "string", `Pulumi.${stack}.yaml: ${key} is a ${typeof value}; write it as "${value}"`);
            }
            for (const line of text.split("\n").filter((l) => /^ {2}[\w-]+:[\w-]+: /.test(l))) {
                const raw = line.replace(/^ {2}[\w-]+:[\w-]+: /, "");
                if (/^(\d+|true|false)$/.test(raw)) assert.fail(`Pulumi.${stack}.yaml: ${line.trim()} must be quoted`);
            }
        }
    });

    it("each stack file only sets declared keys, and none holds a plain-text secret", () => {
        for (const stack of STACKS) {
            const values = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")).config;
            for (const [full, value] of Object.entries<any>(values)) {
                const [ns, key] = full.split(":");
                if (ns !== "kline-analytics") continue;
                assert.ok(declared.has(key), `Pulumi.${stack}.yaml sets undeclared ${key}`);
                if ((SECRET_KEYS as readonly string[]).includes(key))
                    assert.ok(value && typeof value === "object" && "secure" in value, `${key} in plain text`);
            }
        }
    });
});
