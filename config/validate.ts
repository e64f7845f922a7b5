// Pure parsers and checks for configuration values. Each returns the parsed value or a reason
// the value is not allowed; config/index.ts turns reasons into one ConfigError that names the key.
import * as pulumi from "@pulumi/pulumi";

/**
 * Invalid stack configuration. A RunError, so `pulumi preview` prints the message without a
 * stack trace and stops before any resource is created.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** Kubernetes CPU quantity ("500m", "2", "0.5") in millicores. */
export function parseCpu(value: string): Parsed<number> {
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(value.trim());
    if (!m) return bad(`a CPU quantity such as "500m" or "2" is expected`);
    const milli = m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000;
    if (!Number.isFinite(milli) || milli <= 0) return bad("a CPU quantity greater than zero is expected");
    if (!Number.isInteger(milli)) return bad("CPU cannot be finer than 1m");
    return ok(milli);
}

const MEMORY_UNITS: Record<string, number> = {
    "": 1,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
};

/** Kubernetes memory quantity ("512Mi", "2Gi", "1G") in bytes. */
export function parseMemory(value: string): Parsed<number> {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(value.trim());
    if (!m) return bad(`a memory quantity such as "512Mi" or "4Gi" is expected`);
    const bytes = Number(m[1]) * MEMORY_UNITS[m[2] ?? ""];
    if (!(bytes > 0)) return bad("a memory quantity greater than zero is expected");
    return ok(Math.round(bytes));
}

/** JVM size as written after -Xmx ("256m", "2g"), in bytes. */
export function parseJvmSize(value: string): Parsed<number> {
    const m = /^(\d+)([kKmMgG])$/.exec(value.trim());
    if (!m) return bad(`a JVM size such as "256m" or "2g" (a whole number and k, m or g) is expected`);
    const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "k" | "m" | "g"];
    const bytes = Number(m[1]) * unit;
    if (bytes <= 0) return bad("a heap larger than zero is expected");
    return ok(bytes);
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * Memory the JVM needs outside the heap inside the container: metaspace, thread stacks (about
 * 1 MiB each, a Spring service runs 100-200 threads), the JIT code cache and direct (NIO) buffers.
 * We require the larger of 256 MiB and a quarter of the limit.
 */
export function nonHeapHeadroom(memoryLimitBytes: number): number {
    return Math.max(256 * MiB, Math.ceil(memoryLimitBytes / 4));
}

/**
 * Metaspace and direct-memory caps, so the non-heap part cannot grow into the OOM killer. They are
 * carved out of the reserve `nonHeapHeadroom` guarantees: 45% for metaspace and 20% for direct
 * buffers (each at most 256m, in 16m steps), leaving at least 35% of it for thread stacks, the JIT
 * code cache and GC structures. 512Mi limit: 112m + 48m of 256Mi; 2Gi: 224m + 96m of 512Mi;
 * 4Gi: 256m + 192m of 1Gi.
 */
export function jvmNonHeapLimits(memoryLimitBytes: number): { maxMetaspace: string; maxDirectMemory: string } {
    const reserve = nonHeapHeadroom(memoryLimitBytes);
    const cap = (share: number) => Math.min(256, Math.floor((reserve * share) / (16 * MiB)) * 16);
    return { maxMetaspace: `${cap(0.45)}m`, maxDirectMemory: `${cap(0.2)}m` };
}

export function formatBytes(bytes: number): string {
    if (bytes % GiB === 0) return `${bytes / GiB}Gi`;
    if (bytes % MiB === 0) return `${bytes / MiB}Mi`;
    return `${bytes}`;
}

const CRON_FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];
const CRON_MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** A Kubernetes CronJob schedule: five fields (or a macro), no TZ= prefix (use timeZone). */
export function checkCron(expr: string): string | undefined {
    const trimmed = expr.trim();
    if (/^(CRON_)?TZ=/.test(trimmed))
        return "time zones go in backupTimeZone, not in the schedule (Kubernetes rejects TZ= in a CronJob schedule)";
    if (CRON_MACROS.includes(trimmed)) return undefined;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 5) return `a cron schedule has 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
    for (let i = 0; i < 5; i++) {
        const spec = CRON_FIELDS[i];
        for (const part of fields[i].split(",")) {
            const m = /^(\*|([0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?)(?:\/(\d+))?$/.exec(part);
            if (!m) return `the ${spec.name} field "${fields[i]}" is malformed`;
            const value = (s: string) => {
                const idx = spec.names?.indexOf(s.toUpperCase()) ?? -1;
                if (idx >= 0) return idx + spec.min;
                return /^\d+$/.test(s) ? Number(s) : NaN;
            };
            for (const bound of [m[2], m[3]].filter((x): x is string => x !== undefined)) {
                const n = value(bound);
                if (!(n >= spec.min && n <= spec.max)) return `the ${spec.name} field "${fields[i]}" is outside ${spec.min}-${spec.max}`;
            }
            if (m[2] && m[3] && value(m[2]) > value(m[3])) return `the ${spec.name} range "${part}" runs backwards`;
            if (m[4] !== undefined && Number(m[4]) < 1) return `the ${spec.name} step in "${part}" must be at least 1`;
        }
    }
    return undefined;
}

export interface ImageRef {
    repository: string;
    tag?: string;
    digest?: string;
}

/** An image reference pinned by tag or digest; `latest` and untagged references are refused. */
export function parseImage(ref: string): Parsed<ImageRef> {
    const m =
        /^((?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(
            ref.trim(),
        );
    if (!m) return bad(`"${ref}" is not an image reference (registry/repository:tag or @sha256:digest)`);
    const [, repository, tag, digest] = m;
    if (!tag && !digest) return bad("the image has no tag or digest; pin a release tag (e.g. :1.4.2) or a digest");
    if (tag === "latest") return bad(`the tag "latest" is not a version; pin a release tag or a digest`);
    return ok({ repository, tag, digest });
}

/** A duration such as "90m", "24h", "7d" in seconds. */
export function parseDuration(value: string): Parsed<number> {
    const m = /^(\d+)(m|h|d)$/.exec(value.trim());
    if (!m || Number(m[1]) <= 0) return bad(`a duration such as "90m", "24h" or "7d" is expected`);
    return ok(Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2] as "m" | "h" | "d"]);
}

/** A Prometheus scrape interval such as "15s" or "1m". */
export function checkPromDuration(value: string): string | undefined {
    return /^[1-9]\d*(ms|s|m|h)$/.test(value.trim()) ? undefined : `a Prometheus duration such as "15s" or "1m" is expected`;
}

/** A DNS-1123 label (namespace names). */
export function checkDnsLabel(value: string): string | undefined {
    return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)
        ? undefined
        : "a DNS-1123 label is expected (lower-case letters, digits and '-', at most 63 characters)";
}

/** A DNS-1123 subdomain (names of Secrets and most other objects). */
export function checkDnsSubdomain(value: string): string | undefined {
    return /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value)
        ? undefined
        : "a Kubernetes object name is expected (lower-case letters, digits, '-' and '.', at most 253 characters), e.g. kline-analytics-tls";
}

/** A DNS host name for an ingress rule. */
export function checkHostname(value: string): string | undefined {
    return /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/.test(value)
        ? undefined
        : "a fully qualified lower-case host name is expected, e.g. kline.example.com";
}

/** An IPv4 CIDR block. */
export function checkCidr(value: string): string | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value.trim());
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return "an IPv4 CIDR such as 10.20.0.0/16 is expected";
    return undefined;
}
