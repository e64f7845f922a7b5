// The one configuration module: reads the stack's config once, applies the environment matrix,
// validates, and returns a typed StackConfig. Nothing is created from a config that does not validate.
import * as pulumi from "@pulumi/pulumi";
import { ENVIRONMENTS, namespaceFor } from "./environments";
import { readBackupConfig } from "./backup";
import { readPitrConfig } from "./pitr";
import { CONFIG_KEYS } from "./keys";
import { LOGGING_NAMESPACES, readLoggingConfig } from "./logging";
import { MONITORING_NAMESPACE, NODE_EXPORTER_NAMESPACE, readMonitoringConfig } from "./monitoring";
import { readNetworkConfig } from "./network";
import { ConfigSource, Reader } from "./reader";
import { AntiAffinity, AppConfig, DatabaseConfig, ENVIRONMENT_NAMES, EnvironmentName, LogLevel, StackConfig } from "./types";
import {
    ConfigError,
    MAX_VOLUME_BYTES,
    bounded,
    checkDnsLabel,
    checkDnsSubdomain,
    checkHostname,
    checkNoSurroundingWhitespace,
    cidrContains,
    forbiddenHost,
    formatBytes,
    jvmNonHeapLimits,
    nonHeapHeadroom,
    parseCidr,
    parseCpu,
    parseImage,
    parseIp,
    parseJvmSize,
    parseMemory,
    parsePromDuration,
    showBytes,
    showCpu,
    showJvm,
    showSeconds,
} from "./validate";

// isConfigSecret is exported by the runtime but marked internal in its typings.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

export * from "./types";
export { ConfigError } from "./validate";
export { ConfigSource } from "./reader";

/**
 * Keys that hold credentials: set with `pulumi config set --secret`, refused in plain text, and never
 * committed (the stack files say which ones each stack needs).
 */
export const SECRET_KEYS: readonly string[] = Object.keys(CONFIG_KEYS).filter((key) => CONFIG_KEYS[key].secret);

/**
 * Secret keys the program generates when they are unset, given the stack's raw config values: with
 * the in-cluster database (dbInCluster, development's default) the backup roles' passwords.
 */
export function secretsGeneratedWhenUnset(raw: (bare: string) => string | undefined): string[] {
    const env = ENVIRONMENTS[raw("environment") as EnvironmentName];
    const dbInCluster = raw("dbInCluster") || undefined;
    const inCluster = dbInCluster === undefined ? env?.dbInCluster === true : dbInCluster === "true";
    return inCluster ? ["backupDbPassword", "restoreDbPassword"] : [];
}

/** Service (and StatefulSet) name of the in-cluster PostgreSQL. */
export const POSTGRES_SERVICE = "kline-analytics-postgresql";

export { CONFIG_KEYS, MAX_REPLICAS } from "./keys";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** The app container's CPU (10m to 64 cores) and memory (64Mi to 256Gi) requests and limits; the heap from 64m. */
const appCpu = bounded(parseCpu, 10, 64_000, showCpu);
const appMemory = bounded(parseMemory, 64 * MiB, 256 * GiB, showBytes);
const appHeap = bounded(parseJvmSize, 64 * MiB, 256 * GiB, showJvm);
/** The app's scrape interval: at least 5s, and at most 1m so the 5m rate() windows of the alerts hold 4+ samples. */
export const SCRAPE_INTERVAL_BOUNDS = { min: 5, max: 60 } as const;

/**
 * Production-only keys (key: what it lets production run without). Without the key such a
 * production stack is refused; while it is true, `pulumi preview` and `npm run synth` warn.
 */
export const PRODUCTION_OVERRIDES = {
    allowProductionWithoutBackups: "backupEnabled",
    allowProductionWithoutHeartbeat: "heartbeatUrl",
} as const;

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
    const productionNamespace = r.string("productionNamespace", undefined, checkDnsLabel);
    const namespace = isCanary ? productionNamespace : r.string("namespace", namespaceFor(environment), checkDnsLabel);
    const namespaceKey = isCanary ? "productionNamespace" : "namespace";
    const image = r.parsed("image", r.raw("image") ?? "", (v) =>
        v === "" ? { ok: false, reason: "the image is not set: set `image` to registry/repository:tag" } : parseImage(v),
    );

    // --- sizing -------------------------------------------------------------------------------
    const replicas = r.integer("replicas", env.app.replicas);
    const cpuRequest = r.parsed("cpuRequest", env.app.cpuRequest, appCpu);
    const cpuLimit = r.parsed("cpuLimit", env.app.cpuLimit, appCpu);
    const memoryRequest = r.parsed("memoryRequest", env.app.memoryRequest, appMemory);
    const memoryLimit = r.parsed("memoryLimit", env.app.memoryLimit, appMemory);
    const heap = r.parsed("javaHeap", env.app.javaHeap, appHeap);
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
    const logLevel = r.oneOf<LogLevel>("logLevel", env.app.logLevel);
    const logSampleRate = r.number("logSampleRate", env.app.logSampleRate, (n) =>
        n > 0 && n <= 1 ? undefined : "a share greater than 0 and at most 1 is expected (1 keeps every event)",
    );
    const logRetentionDays = r.integer("logRetentionDays", env.app.logRetentionDays);

    // --- placement and scaling ----------------------------------------------------------------
    const antiAffinity = r.oneOf<AntiAffinity>("antiAffinity", env.app.antiAffinity);
    const zoneSpread = r.boolean("zoneSpread", env.app.zoneSpread);
    const hpaEnabled = r.boolean("hpaEnabled", env.app.hpaEnabled);
    const hpaMaxReplicas = r.integer("hpaMaxReplicas", Math.max(env.app.hpaMaxReplicas, replicas));
    const hpaTargetCpu = r.integer("hpaTargetCpuUtilization");
    if (hpaEnabled && hpaMaxReplicas < replicas) {
        r.problems.push(
            `${source.project}:hpaMaxReplicas = "${hpaMaxReplicas}" is below replicas = "${replicas}": the autoscaler's maximum must be at least the replica count`,
        );
    }

    // --- ingress and canary -------------------------------------------------------------------
    const ingressHost = r.required("ingressHost", checkHostname);
    const ingressClassName = r.string("ingressClassName", undefined, checkDnsLabel);
    const ingressControllerNamespace = r.string("ingressControllerNamespace", undefined, checkDnsLabel);
    // Unchecked, a malformed name only shows up as ingress-nginx serving its fake certificate.
    const tlsSecretName = r.raw("ingressTlsSecretName");
    const tlsProblem = tlsSecretName === undefined ? undefined : checkDnsSubdomain(tlsSecretName);
    if (tlsSecretName !== undefined && tlsProblem) {
        r.problems.push(`${source.project}:ingressTlsSecretName = ${JSON.stringify(tlsSecretName)}: ${tlsProblem}`);
    }
    const canaryTraffic = r.integer("canaryTrafficPercent");
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
            ? POSTGRES_SERVICE
            : r.required("dbHost", (v) => (/^[a-zA-Z0-9.-]+$/.test(v) ? undefined : "a host name is expected")),
        port: r.integer("dbPort"),
        name: r.string("dbName", undefined, (v) => {
            if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v)) return "a lower-case PostgreSQL identifier is expected";
            // Whatever lands in a template database is copied into every database created after.
            return /^template[01]$/.test(v) ? "a template database cannot hold the app's data; name the app's own database" : undefined;
        }),
        user: r.string("dbUser", undefined, (v) =>
            /^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : "a lower-case PostgreSQL identifier is expected",
        ),
        sslMode: r.oneOf<DatabaseConfig["sslMode"]>("dbSslMode", dbInCluster ? "disable" : "verify-full"),
        password: dbPassword,
        existingSecretName: isCanary ? "kline-analytics-db" : undefined,
        // The canary's pods are covered by production's NetworkPolicies: it needs no address block.
        egressCidr:
            dbInCluster || isCanary
                ? undefined
                : r.required("dbEgressCidr", (v) => {
                      const p = parseCidr(v);
                      return p.ok ? undefined : p.reason;
                  }),
        inClusterImage: r.string("dbInClusterImage", undefined, (v) => {
            const p = parseImage(v);
            return p.ok ? undefined : p.reason;
        }),
        inClusterStorage: r.parsed("dbInClusterStorage", undefined, bounded(parseMemory, GiB, MAX_VOLUME_BYTES, showBytes)).text,
    };
    // An address literal as the host: never loopback or link-local, and inside the block egress allows.
    if (!dbInCluster && !isCanary && database.host !== "") {
        const why = forbiddenHost(database.host);
        if (why) r.fail("dbHost", database.host, `${why}: the database must be a network address the pods can reach`);
        const ip = parseIp(database.host);
        const block = database.egressCidr === undefined ? undefined : parseCidr(database.egressCidr);
        if (!why && ip && block?.ok && !cidrContains(block.value, ip)) {
            r.fail(
                "dbHost",
                database.host,
                `the address is outside dbEgressCidr = "${database.egressCidr}", so NetworkPolicy would block the connection; widen dbEgressCidr or fix dbHost`,
            );
        }
    }
    if (!dbInCluster && !isCanary && dbPassword === undefined) {
        r.problems.push(
            `${source.project}:dbPassword is not set: this stack uses an external PostgreSQL; set it with \`pulumi config set --secret dbPassword <password>\``,
        );
    }

    // The canary beside an in-cluster production database reaches it by its Service name; that
    // server speaks no TLS, so a verifying sslmode could never connect.
    if (isCanary && database.host === POSTGRES_SERVICE && ["require", "verify-ca", "verify-full"].includes(database.sslMode)) {
        r.fail(
            "dbSslMode",
            database.sslMode,
            `dbHost is ${POSTGRES_SERVICE}, production's in-cluster PostgreSQL, which serves no TLS; set dbSslMode to disable (its NetworkPolicy admits only the app and backup pods)`,
        );
    }

    // --- backups ------------------------------------------------------------------------------
    const backup = readBackupConfig(r, source.project, env, isCanary, database.name, database.user, database.inCluster);
    const pitr = readPitrConfig(r, source.project, dbInCluster, isCanary, backup);

    // --- AWS ----------------------------------------------------------------------------------
    const region = source.getIn("aws", "region");
    if (region === undefined) r.problems.push("aws:region is not set: set it with `pulumi config set aws:region <region>`");
    if (region !== undefined) {
        const reason =
            checkNoSurroundingWhitespace(region) ??
            (/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) ? undefined : "an AWS region such as us-west-2 is expected");
        if (reason) r.problems.push(`aws:region = ${JSON.stringify(region)}: ${reason}`);
    }
    const issuer = /^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/;
    const aws = {
        region: region ?? "",
        oidcProviderArn: r.required("oidcProviderArn", (v) => {
            // IAM takes no wildcard in a Federated principal: a role trusting one could never be assumed.
            if (/[*?]/.test(v)) return "wildcards (* or ?) are not allowed: name the cluster's own OIDC provider";
            const m = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(v);
            return m && issuer.test(m[1])
                ? undefined
                : "an IAM OIDC provider ARN is expected (arn:aws:iam::<account>:oidc-provider/<issuer>)";
        }),
        oidcProviderUrl: r.required("oidcProviderUrl", (v) =>
            issuer.test(v) ? undefined : "the issuer without https://, e.g. oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
        ),
    };
    // The trust condition is "<url>:sub"; tokens carry the provider's issuer. A mismatch makes every IRSA role unusable.
    const arnIssuer = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(aws.oidcProviderArn)?.[1];
    if (arnIssuer !== undefined && issuer.test(arnIssuer) && issuer.test(aws.oidcProviderUrl) && arnIssuer !== aws.oidcProviderUrl) {
        r.fail(
            "oidcProviderUrl",
            aws.oidcProviderUrl,
            `does not match oidcProviderArn, whose provider is "${arnIssuer}": the roles' trust condition would never match a token; set both from the same cluster`,
        );
    }

    // --- monitoring and logging ---------------------------------------------------------------
    const scrapeInterval = bounded(parsePromDuration, SCRAPE_INTERVAL_BOUNDS.min, SCRAPE_INTERVAL_BOUNDS.max, showSeconds);
    const monitoring = readMonitoringConfig(r, env, ingressHost, (v) => {
        const p = scrapeInterval(v);
        return p.ok ? undefined : p.reason;
    });
    const logging = readLoggingConfig(r, source.project, environment, env, logRetentionDays);
    // Monitoring and logging are installed together (the canary stack installs neither).
    const network = readNetworkConfig(r, source.project, monitoring.install !== undefined || logging.stack !== undefined);

    // --- namespaces the stack does not own -----------------------------------------------------
    // The app namespace gets default-deny NetworkPolicies, a ResourceQuota and Pod Security labels:
    // in another component's namespace (or one of Kubernetes') they would break that component.
    const otherNamespaces = new Map<string, string>([
        ["default", "Kubernetes' default namespace"],
        [MONITORING_NAMESPACE, "the monitoring stack's namespace (Prometheus, Alertmanager, Grafana)"],
        [NODE_EXPORTER_NAMESPACE, "node-exporter's namespace (Pod Security privileged)"],
        [LOGGING_NAMESPACES.namespace, "the logging namespace (Elasticsearch, Kibana)"],
        [LOGGING_NAMESPACES.shipperNamespace, "Filebeat's namespace (Pod Security privileged)"],
        [LOGGING_NAMESPACES.operatorNamespace, "the ECK operator's namespace"],
    ]);
    const foreignNamespace = (ns: string): string | undefined => {
        if (/^kube-/.test(ns)) return "kube-* namespaces belong to Kubernetes";
        if (ns === ingressControllerNamespace) return "it is the ingress controller's namespace (ingressControllerNamespace)";
        return otherNamespaces.has(ns) ? `it is ${otherNamespaces.get(ns)}` : undefined;
    };
    const appNamespaces: Array<[string, string, string]> = [[namespaceKey, namespace, namespaceFor(environment)]];
    if (!isCanary) appNamespaces.push(["productionNamespace", productionNamespace, namespaceFor("production")]);
    for (const [key, ns, example] of appNamespaces) {
        const why = checkDnsLabel(ns) ? undefined : foreignNamespace(ns);
        if (why) r.fail(key, ns, `${why}; the app needs a namespace of its own, such as ${example}`);
    }
    // The controller's namespace is the only source NetworkPolicy lets reach the app's HTTP port.
    const controllerNs = ingressControllerNamespace;
    if (!checkDnsLabel(controllerNs) && controllerNs !== namespace && otherNamespaces.has(controllerNs)) {
        r.fail(
            "ingressControllerNamespace",
            controllerNs,
            `it is ${otherNamespaces.get(controllerNs)}, and every pod in it could reach the app's HTTP port; ` +
                `name the ingress controller's own namespace (default ingress-nginx)`,
        );
    }

    // --- production's safety nets ---------------------------------------------------------------
    const warnings: string[] = [];
    const overridden = (key: keyof typeof PRODUCTION_OVERRIDES): boolean => {
        const on = r.boolean(key);
        // Pulumi.yaml's default "false" reaches every stack; only a true elsewhere is a mistake.
        if (environment !== "production" && on) {
            r.problems.push(
                `${source.project}:${key} = "true" is read only by the production stack; remove it from the ${environment} stack`,
            );
        }
        return on && environment === "production";
    };
    const withoutBackups = overridden("allowProductionWithoutBackups");
    const withoutHeartbeat = overridden("allowProductionWithoutHeartbeat");
    if (environment === "production") {
        if (!backup.enabled && !withoutBackups) {
            r.problems.push(
                `${source.project}:backupEnabled = "false": production runs with backups; set backupEnabled to true, or, knowingly, allowProductionWithoutBackups to true`,
            );
        }
        if (withoutBackups) {
            warnings.push(
                "OVERRIDE allowProductionWithoutBackups = true: production may run WITHOUT BACKUPS (backupEnabled false); remove the key to require them again",
            );
        }
        // Whether the secret is set in this stack's config. Offline (npm run synth) an unset secret has a
        // stand-in and counts as set; synth says so, and a real `pulumi preview` sees it unset.
        if (monitoring.heartbeatUrl === undefined && !withoutHeartbeat) {
            r.problems.push(
                `${source.project}:heartbeatUrl is not set: production needs a dead man's switch for the Watchdog alert ` +
                    `(\`pulumi config set --secret heartbeatUrl <url>\`), or, knowingly, allowProductionWithoutHeartbeat set to true`,
            );
        }
        if (withoutHeartbeat) {
            warnings.push(
                "OVERRIDE allowProductionWithoutHeartbeat = true: production may run WITHOUT A DEAD MAN'S SWITCH (heartbeatUrl unset), so nobody hears when alerting itself stops; remove the key to require it again",
            );
        }
    }

    if (r.problems.length > 0) throw new ConfigError(r.problems);
    return {
        project: source.project,
        stack: source.stack,
        environment,
        protect: env.protect,
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
        pitr,
        aws,
        monitoring,
        logging,
        network,
        warnings,
    };
}
