// The one configuration module: reads the stack's config once, applies the environment matrix,
// validates, and returns a typed StackConfig. Nothing is created from a config that does not validate.
import * as pulumi from "@pulumi/pulumi";
import { ENVIRONMENTS, namespaceFor } from "./environments";
import { readBackupConfig } from "./backup";
import { readLoggingConfig } from "./logging";
import { readMonitoringConfig } from "./monitoring";
import { AntiAffinity, AppConfig, DatabaseConfig, ENVIRONMENT_NAMES, EnvironmentName, LogLevel, StackConfig } from "./types";
import {
    ConfigError,
    Parsed,
    checkCidr,
    checkDnsLabel,
    checkDnsSubdomain,
    checkHostname,
    checkPromDuration,
    formatBytes,
    jvmNonHeapLimits,
    nonHeapHeadroom,
    parseCpu,
    parseImage,
    parseJvmSize,
    parseMemory,
} from "./validate";

// isConfigSecret is exported by the runtime but marked internal in its typings.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

export * from "./types";
export { ConfigError } from "./validate";

/**
 * Keys that hold credentials: set with `pulumi config set --secret`, refused in plain text, and never
 * committed (the stack files say which ones each stack needs).
 */
export const SECRET_KEYS = ["dbPassword", "pagerdutyRoutingKey", "slackWebhookUrl", "heartbeatUrl"] as const;

/** Where values come from: the stack's Pulumi config, or a plain map in tests. */
export interface ConfigSource {
    project: string;
    stack: string;
    /** Plain value of a project key, undefined when unset (an empty string counts as unset). */
    get(key: string): string | undefined;
    /** Secret value of a project key as a secret Output, undefined when unset. */
    getSecret(key: string): pulumi.Output<string> | undefined;
    /** Whether a set key was stored as a secret (`pulumi config set --secret`). */
    isSecret(key: string): boolean;
    /** Plain value of a key in another namespace, e.g. ("aws", "region"). */
    getIn(namespace: string, key: string): string | undefined;
}

/** The stack's Pulumi config (what `pulumi config` shows, merged with Pulumi.yaml defaults by the CLI). */
export function pulumiConfigSource(): ConfigSource {
    const project = pulumi.getProject();
    const blankToUndefined = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
    // runtime.getConfig reads the raw value without Config.get's "value is a secret" warning.
    const raw = (namespace: string, key: string) => blankToUndefined(pulumi.runtime.getConfig(`${namespace}:${key}`));
    return {
        project,
        stack: pulumi.getStack(),
        get: (key) => raw(project, key),
        getSecret: (key) => {
            const value = raw(project, key);
            return value === undefined ? undefined : pulumi.secret(value);
        },
        isSecret: (key) => isConfigSecret(`${project}:${key}`),
        getIn: (namespace, key) => raw(namespace, key),
    };
}

/** Reads and validates the current stack's configuration. */
export function loadConfig(): StackConfig {
    return buildConfig(pulumiConfigSource());
}

class Reader {
    readonly problems: string[] = [];
    readonly keysRead = new Set<string>();
    constructor(readonly source: ConfigSource) {}

    private fail(key: string, value: string, reason: string): void {
        this.problems.push(`${this.source.project}:${key} = ${JSON.stringify(value)}: ${reason}`);
    }

    raw(key: string): string | undefined {
        this.keysRead.add(key);
        return this.source.get(key);
    }

    /** A value checked by `check`; the fallback when unset. */
    string(key: string, fallback: string, check?: (v: string) => string | undefined): string {
        const value = this.raw(key) ?? fallback;
        const reason = check?.(value);
        if (reason) this.fail(key, value, reason);
        return value;
    }

    required(key: string, check?: (v: string) => string | undefined): string {
        const value = this.raw(key);
        if (value === undefined) {
            this.problems.push(`${this.source.project}:${key} is not set: set it with \`pulumi config set ${key} <value>\``);
            return "";
        }
        const reason = check?.(value);
        if (reason) this.fail(key, value, reason);
        return value;
    }

    oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
        const value = this.raw(key) ?? fallback;
        if (!allowed.includes(value as T)) this.fail(key, value, `allowed values are ${allowed.join(", ")}`);
        return value as T;
    }

    integer(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, unit = ""): number {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        const n = Number(text);
        if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
            const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
            this.fail(key, text, `a whole number ${range}${unit} is expected`);
            return fallback;
        }
        return n;
    }

    number(key: string, fallback: number, check: (n: number) => string | undefined): number {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        const n = Number(text);
        const reason = Number.isFinite(n) && text.trim() !== "" ? check(n) : "a number is expected";
        if (reason) {
            this.fail(key, text, reason);
            return fallback;
        }
        return n;
    }

    boolean(key: string, fallback: boolean): boolean {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        if (text !== "true" && text !== "false") {
            this.fail(key, text, "true or false is expected");
            return fallback;
        }
        return text === "true";
    }

    parsed<T>(key: string, fallback: string, parse: (v: string) => Parsed<T>): { text: string; value?: T } {
        const text = this.raw(key) ?? fallback;
        const result = parse(text);
        if (!result.ok) {
            this.fail(key, text, result.reason);
            return { text };
        }
        return { text, value: result.value };
    }

    secret(key: string): pulumi.Output<string> | undefined {
        this.keysRead.add(key);
        const value = this.source.getSecret(key);
        if (value !== undefined && !this.source.isSecret(key)) {
            this.problems.push(
                `${this.source.project}:${key} is stored in plain text: remove it and set it with \`pulumi config set --secret ${key} <value>\``,
            );
        }
        return value;
    }
}

/** A Pulumi stack reference: <stack>, <project>/<stack> or <organization>/<project>/<stack>. */
export function checkStackReference(v: string): string | undefined {
    return /^([A-Za-z0-9][A-Za-z0-9._-]*\/){0,2}[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)
        ? undefined
        : "a stack reference is expected: production, or <organization>/<project>/<stack> (letters, digits, '.', '_', '-')";
}

/** Builds the validated StackConfig from a config source; throws ConfigError listing every problem. */
export function buildConfig(source: ConfigSource): StackConfig {
    const r = new Reader(source);
    const envText = r.raw("environment");
    if (envText === undefined || !(ENVIRONMENT_NAMES as readonly string[]).includes(envText)) {
        const shown = envText === undefined ? "is not set" : `= ${JSON.stringify(envText)} is not an environment`;
        throw new ConfigError([
            `${source.project}:environment ${shown}: allowed values are ${ENVIRONMENT_NAMES.join(", ")} ` +
                `(set it with \`pulumi config set environment <name>\`)`,
        ]);
    }
    const environment = envText as EnvironmentName;
    const env = ENVIRONMENTS[environment];
    const isCanary = environment === "canary";

    // --- namespace and image -------------------------------------------------------------
    const productionNamespace = r.string("productionNamespace", namespaceFor("production"), checkDnsLabel);
    const namespace = isCanary ? productionNamespace : r.string("namespace", namespaceFor(environment), checkDnsLabel);
    const image = r.parsed("image", r.raw("image") ?? "", (v) =>
        v === "" ? { ok: false, reason: "the image is not set: set `image` to registry/repository:tag" } : parseImage(v),
    );

    // --- sizing -------------------------------------------------------------------------------
    const replicas = r.integer("replicas", env.replicas, 1);
    const cpuRequest = r.parsed("cpuRequest", env.cpuRequest, parseCpu);
    const cpuLimit = r.parsed("cpuLimit", env.cpuLimit, parseCpu);
    const memoryRequest = r.parsed("memoryRequest", env.memoryRequest, parseMemory);
    const memoryLimit = r.parsed("memoryLimit", env.memoryLimit, parseMemory);
    const heap = r.parsed("javaHeap", env.javaHeap, parseJvmSize);
    if (cpuRequest.value !== undefined && cpuLimit.value !== undefined && cpuRequest.value > cpuLimit.value) {
        r.problems.push(
            `${source.project}:cpuRequest = "${cpuRequest.text}" is larger than cpuLimit = "${cpuLimit.text}": a request may not exceed its limit`,
        );
    }
    if (memoryRequest.value !== undefined && memoryLimit.value !== undefined && memoryRequest.value > memoryLimit.value) {
        r.problems.push(
            `${source.project}:memoryRequest = "${memoryRequest.text}" is larger than memoryLimit = "${memoryLimit.text}": a request may not exceed its limit`,
        );
    }
    if (heap.value !== undefined && memoryLimit.value !== undefined) {
        const headroom = nonHeapHeadroom(memoryLimit.value);
        const maxHeap = memoryLimit.value - headroom;
        if (heap.value > maxHeap) {
            r.problems.push(
                `${source.project}:javaHeap = "${heap.text}" does not fit memoryLimit = "${memoryLimit.text}": the JVM needs ` +
                    `${formatBytes(headroom)} outside the heap (metaspace, thread stacks, code cache, direct buffers: ` +
                    `max(256Mi, 25% of the limit)), so the heap may be at most ${formatBytes(maxHeap)}. ` +
                    `Lower javaHeap or raise memoryLimit.`,
            );
        }
    }

    // --- logging ------------------------------------------------------------------------------
    const logLevel = r.oneOf<LogLevel>("logLevel", env.logLevel, ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]);
    const logSampleRate = r.number("logSampleRate", env.logSampleRate, (n) =>
        n > 0 && n <= 1 ? undefined : "a share greater than 0 and at most 1 is expected (1 keeps every event)",
    );
    const logRetentionDays = r.integer("logRetentionDays", env.logRetentionDays, 1, 3650, " (days)");

    // --- placement and scaling ----------------------------------------------------------------
    const antiAffinity = r.oneOf<AntiAffinity>("antiAffinity", env.antiAffinity, ["none", "preferred", "required"]);
    const zoneSpread = r.boolean("zoneSpread", env.zoneSpread);
    const hpaEnabled = r.boolean("hpaEnabled", env.hpaEnabled);
    const hpaMaxReplicas = r.integer("hpaMaxReplicas", Math.max(env.hpaMaxReplicas, replicas), 1);
    const hpaTargetCpu = r.integer("hpaTargetCpuUtilization", 70, 10, 100, " (percent)");
    if (hpaEnabled && hpaMaxReplicas < replicas) {
        r.problems.push(
            `${source.project}:hpaMaxReplicas = "${hpaMaxReplicas}" is below replicas = "${replicas}": the autoscaler's maximum must be at least the replica count`,
        );
    }

    // --- ingress and canary -------------------------------------------------------------------
    const ingressHost = r.required("ingressHost", checkHostname);
    const ingressClassName = r.string("ingressClassName", "nginx", checkDnsLabel);
    const ingressControllerNamespace = r.string("ingressControllerNamespace", "ingress-nginx", checkDnsLabel);
    // Unchecked, a malformed name only shows up as ingress-nginx serving its fake certificate.
    const tlsSecretName = r.raw("ingressTlsSecretName");
    const tlsProblem = tlsSecretName === undefined ? undefined : checkDnsSubdomain(tlsSecretName);
    if (tlsSecretName !== undefined && tlsProblem) {
        r.problems.push(`${source.project}:ingressTlsSecretName = ${JSON.stringify(tlsSecretName)}: ${tlsProblem}`);
    }
    const canaryTraffic = r.integer("canaryTrafficPercent", 10, 0, 100, " (percent of production traffic)");
    const productionStack = r.string("productionStack", "production", checkStackReference);
    if (!isCanary && r.raw("productionStack") !== undefined) {
        r.problems.push(`${source.project}:productionStack is read only by the canary stack; remove it from the ${environment} stack`);
    }

    const name = isCanary ? "kline-analytics-canary" : "kline-analytics";
    const imageRef = image.value;
    const app: AppConfig = {
        name,
        track: isCanary ? "canary" : "stable",
        image: image.text,
        version: imageRef?.tag ?? imageRef?.digest?.slice(7, 19) ?? "",
        replicas,
        resources: {
            requests: { cpu: cpuRequest.text, memory: memoryRequest.text },
            limits: { cpu: cpuLimit.text, memory: memoryLimit.text },
        },
        javaHeap: heap.text,
        jvm: jvmNonHeapLimits(memoryLimit.value ?? 0),
        httpPort: 8080,
        managementPort: 8081,
        logLevel,
        logSampleRate,
        antiAffinity,
        zoneSpread,
        hpa: { enabled: hpaEnabled, minReplicas: replicas, maxReplicas: hpaMaxReplicas, targetCpuUtilization: hpaTargetCpu },
        ingress: {
            host: ingressHost,
            className: ingressClassName,
            tlsSecretName,
            controllerNamespace: ingressControllerNamespace,
        },
        canary: isCanary ? { trafficPercent: canaryTraffic, stableService: "kline-analytics", productionStack } : undefined,
    };

    // --- database -----------------------------------------------------------------------------
    const dbInCluster = r.boolean("dbInCluster", env.dbInCluster);
    if (dbInCluster && isCanary) {
        r.problems.push(`${source.project}:dbInCluster = "true": the canary uses production's database; remove the key`);
    }
    const dbPassword = r.secret("dbPassword");
    const database: DatabaseConfig = {
        inCluster: dbInCluster,
        host: dbInCluster
            ? "kline-analytics-postgresql"
            : r.required("dbHost", (v) => (/^[a-zA-Z0-9.-]+$/.test(v) ? undefined : "a host name is expected")),
        port: r.integer("dbPort", 5432, 1, 65535),
        name: r.string("dbName", "kline_analytics", (v) =>
            /^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : "a lower-case PostgreSQL identifier is expected",
        ),
        user: r.string("dbUser", "kline", (v) =>
            /^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : "a lower-case PostgreSQL identifier is expected",
        ),
        sslMode: r.oneOf("dbSslMode", dbInCluster ? "disable" : "verify-full", [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ]),
        password: dbPassword,
        existingSecretName: isCanary ? "kline-analytics-db" : undefined,
        // The canary's pods are covered by production's NetworkPolicies: it needs no address block.
        egressCidr: dbInCluster || isCanary ? undefined : r.required("dbEgressCidr", checkCidr),
        inClusterImage: r.string("dbInClusterImage", "postgres:16.6-alpine3.21", (v) => {
            const p = parseImage(v);
            return p.ok ? undefined : p.reason;
        }),
        inClusterStorage: r.parsed("dbInClusterStorage", "10Gi", parseMemory).text,
    };
    if (!dbInCluster && !isCanary && dbPassword === undefined) {
        r.problems.push(
            `${source.project}:dbPassword is not set: this stack uses an external PostgreSQL; set it with \`pulumi config set --secret dbPassword <password>\``,
        );
    }

    // --- backups ------------------------------------------------------------------------------
    const backup = readBackupConfig(r, source.project, env, isCanary, database.name);

    // --- AWS ----------------------------------------------------------------------------------
    const region = source.getIn("aws", "region");
    if (region === undefined) r.problems.push("aws:region is not set: set it with `pulumi config set aws:region <region>`");
    const aws = {
        region: region ?? "",
        oidcProviderArn: r.required("oidcProviderArn", (v) =>
            /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/.test(v)
                ? undefined
                : "an IAM OIDC provider ARN is expected (arn:aws:iam::<account>:oidc-provider/<issuer>)",
        ),
        oidcProviderUrl: r.required("oidcProviderUrl", (v) =>
            /^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/.test(v)
                ? undefined
                : "the issuer without https://, e.g. oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
        ),
    };

    // --- monitoring and logging ---------------------------------------------------------------
    const monitoring = readMonitoringConfig(r, source.project, environment, ingressHost, env.scrapeInterval, checkPromDuration);
    const logging = readLoggingConfig(r, source.project, environment, logRetentionDays);

    if (r.problems.length > 0) throw new ConfigError(r.problems);
    return {
        project: source.project,
        stack: source.stack,
        environment,
        namespace,
        ownsNamespace: !isCanary,
        labels: {
            "app.kubernetes.io/part-of": "kline-analytics",
            "app.kubernetes.io/managed-by": "pulumi",
            environment,
        },
        app,
        database,
        backup,
        aws,
        monitoring,
        logging,
    };
}
