// The logging part of the configuration: the Elastic stack's size per environment (from the matrix
// in config/environments.ts), the pinned versions, and the parser that turns the stack's keys into LoggingConfig.
// Called by config/index.ts with its Reader, so problems land in the same ConfigError.
import { ENVIRONMENTS, Environment } from "./environments";
import type { Reader } from "./reader";
import { ElasticStackConfig, EnvironmentName, LoggingConfig } from "./types";
import {
    MAX_VOLUME_BYTES,
    bounded,
    checkDnsLabel,
    formatBytes,
    parseCpu,
    parseJvmSize,
    parseMemory,
    showBytes,
    showCpu,
    showJvm,
} from "./validate";

/** The namespaces of the logging stack: ECK operator, Elasticsearch and Kibana, Filebeat (Pod Security privileged). */
export const LOGGING_NAMESPACES = {
    operatorNamespace: "elastic-system",
    namespace: "logging",
    shipperNamespace: "logging-shipper",
} as const;

/** eck-operator Helm chart, pinned; its CRDs are what tools/verify checks our resources against. */
export const ECK_OPERATOR_CHART = {
    name: "eck-operator",
    // renovate: datasource=helm depName=eck-operator registryUrl=https://helm.elastic.co
    version: "3.5.0",
    repo: "https://helm.elastic.co",
} as const;
/**
 * Elasticsearch, Kibana and Filebeat version (one version for the three, as ECK expects).
 * 8.19 is the last 8.x minor, supported by ECK 3.5; 8.8+ is needed for the operator's
 * restricted-compatible default security context on Elasticsearch's own containers.
 */
// renovate: datasource=docker depName=docker.elastic.co/elasticsearch/elasticsearch
export const DEFAULT_STACK_VERSION = "8.19.8";

const GiB = 1024 ** 3;

export function checkStackVersion(v: string): string | undefined {
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
    if (!m) return "an exact Elastic Stack version such as 8.19.8 is expected (no ranges, no 'latest')";
    const [major, minor] = [Number(m[1]), Number(m[2])];
    if (major < 8 || (major === 8 && minor < 8) || major > 9) {
        return "ECK 3.5 with the restricted Pod Security level needs 8.8 or later (8.x or 9.x)";
    }
    return undefined;
}

/**
 * Reads the logging keys for `environment`. `retentionDays` is the already-validated logRetentionDays.
 */
export function readLoggingConfig(
    r: Reader,
    project: string,
    environment: EnvironmentName,
    env: Environment,
    retentionDays: number,
): LoggingConfig {
    const d = env.logging;
    const base = { ...LOGGING_NAMESPACES, retentionDays };
    if (d === undefined) return base;

    const stackVersion = r.string("logStackVersion", DEFAULT_STACK_VERSION, checkStackVersion);
    const nodes = r.integer("elasticsearchNodes", d.elasticsearchNodes);
    const storage = r.parsed("elasticsearchStorage", d.elasticsearchStorage, (v) => {
        const p = parseMemory(v);
        if (p.ok && p.value < GiB) return { ok: false, reason: "at least 1Gi is expected" };
        return p.ok && p.value > MAX_VOLUME_BYTES ? { ok: false, reason: `at most ${showBytes(MAX_VOLUME_BYTES)} is expected` } : p;
    });
    const storageClass = r.string("elasticsearchStorageClass", "", (v) => (v === "" ? undefined : checkDnsLabel(v)));
    // Per node: 1Gi to 128Gi of memory, 100m to 32 CPUs, a heap of at least 256m (at most 31g, below).
    const memory = r.parsed("elasticsearchMemory", d.elasticsearchMemory, bounded(parseMemory, GiB, 128 * GiB, showBytes));
    const cpu = r.parsed("elasticsearchCpu", d.elasticsearchCpu, bounded(parseCpu, 100, 32_000, showCpu));
    const heap = r.parsed("elasticsearchHeap", d.elasticsearchHeap, (v) => {
        const p = parseJvmSize(v);
        return p.ok && p.value < 256 * 1024 ** 2 ? { ok: false, reason: `at least ${showJvm(256 * 1024 ** 2)} is expected` } : p;
    });
    const zoneAwareness = r.boolean("elasticsearchZoneAwareness", d.elasticsearchZoneAwareness);
    const kibanaCount = r.integer("kibanaCount", d.kibanaCount);

    if (heap.value !== undefined && memory.value !== undefined && heap.value * 2 > memory.value) {
        r.problems.push(
            `${project}:elasticsearchHeap = "${heap.text}" is more than half of elasticsearchMemory = "${memory.text}": Elasticsearch needs ` +
                `the other half for the filesystem cache and off-heap structures, so the heap may be at most ${formatBytes(Math.floor(memory.value / 2))}. ` +
                `Lower elasticsearchHeap or raise elasticsearchMemory.`,
        );
    }
    if (heap.value !== undefined && heap.value > 31 * GiB) {
        r.problems.push(
            `${project}:elasticsearchHeap = "${heap.text}" is above 31g: the JVM loses compressed object pointers there; add nodes instead.`,
        );
    }
    if (zoneAwareness && nodes < 2) {
        r.problems.push(
            `${project}:elasticsearchZoneAwareness = "true" needs elasticsearchNodes of at least 2 (it is ${nodes}): one node cannot be spread over zones.`,
        );
    }

    const streams: ElasticStackConfig["streams"] = [{ environment, retentionDays }];
    if (environment === "production") {
        // Production's cluster also holds the canary's logs, in their own stream with their own retention.
        const canaryDays = r.integer("canaryLogRetentionDays", ENVIRONMENTS.canary.app.logRetentionDays);
        streams.push({ environment: "canary", retentionDays: canaryDays });
    }

    return {
        ...base,
        stack: {
            operatorChart: { ...ECK_OPERATOR_CHART },
            version: stackVersion,
            elasticsearch: {
                nodes,
                storage: storage.text,
                storageClass: storageClass === "" ? undefined : storageClass,
                memory: memory.text,
                cpu: cpu.text,
                heap: heap.text,
                zoneAwareness,
            },
            kibanaCount,
            rollover: { maxAge: "1d", maxPrimaryShardSize: d.rolloverMaxPrimaryShardSize },
            streams,
        },
    };
}
