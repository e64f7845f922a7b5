// Pure parsers and checks for configuration values. Each returns the parsed value or a reason
// the value is not allowed; config/index.ts turns reasons into one ConfigError that names the key.
import * as net from "net";
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
/** Largest volume the stacks ask for: the largest EBS gp3 volume, 16Ti. */
export const MAX_VOLUME_BYTES = 16 * 1024 ** 4;

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

const MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/** Longest each month gets (February in a leap year). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A Kubernetes CronJob schedule: five fields (or a macro), no TZ= prefix (use timeZone), and one
 * that fires. Kubernetes (robfig/cron) matches day-of-month AND day-of-week when either is `*`,
 * and either of them otherwise; so `0 1 30 2 *` (30 February) is accepted by the API and never runs.
 */
export function checkCron(expr: string): string | undefined {
    const trimmed = expr.trim();
    if (/^(CRON_)?TZ=/.test(trimmed))
        return "time zones go in backupTimeZone, not in the schedule (Kubernetes rejects TZ= in a CronJob schedule)";
    if (CRON_MACROS.includes(trimmed)) return undefined;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 5) return `a cron schedule has 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
    const sets: Array<Set<number>> = [];
    const star: boolean[] = [];
    for (let i = 0; i < 5; i++) {
        const spec = CRON_FIELDS[i];
        const set = new Set<number>();
        let isStar = false;
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
            const step = m[4] === undefined ? 1 : Number(m[4]);
            // As robfig/cron: "*" and "*/1" are a wildcard; "N/step" runs from N to the maximum.
            if (m[1] === "*" && step === 1) isStar = true;
            const low = m[1] === "*" ? spec.min : value(m[2]);
            const high = m[1] === "*" || (m[3] === undefined && m[4] !== undefined) ? spec.max : value(m[3] ?? m[2]);
            for (let n = low; n <= high; n += step) set.add(n);
        }
        sets.push(set);
        star.push(isStar);
    }
    // Only day-of-month and month can combine into a date that does not exist (a restricted
    // day-of-week alone always fires; with both days restricted, either one matching suffices).
    const [, , days, months] = sets;
    if (star[4] && !star[2]) {
        const dates = [...months].flatMap((month) => [...days].filter((d) => d <= DAYS_IN_MONTH[month - 1]).map((d) => [month, d]));
        const names = [...months].map((mo) => MONTH_NAMES[mo - 1]).join(", ");
        if (dates.length === 0) {
            const list = [...days].join(",");
            return `it never fires: ${days.size > 1 ? `days ${list} do` : `day ${list} does`} not exist in ${names}; pick a day every listed month has`;
        }
        if (dates.every(([month, d]) => month === 2 && d === 29)) {
            return "it fires only on 29 February, once in four years; pick a day every listed month has";
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
    // Registries treat tags case-sensitively, but :LATEST or :Latest is still a moving tag by intent.
    if (tag?.toLowerCase() === "latest") return bad(`the tag "${tag}" is not a version; pin a release tag or a digest`);
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

/** Values are used verbatim (`-Xms 2g`, an image name with a trailing space): surrounding whitespace is refused. */
export function checkNoSurroundingWhitespace(value: string): string | undefined {
    return value !== value.trim()
        ? "leading or trailing whitespace is not allowed (the value would be used verbatim); remove it"
        : undefined;
}

/** A parser whose value must also lie in [min, max]; `show` writes a bound as the user would. */
export function bounded(
    parse: (v: string) => Parsed<number>,
    min: number,
    max: number,
    show: (n: number) => string,
): (v: string) => Parsed<number> {
    return (v) => {
        const p = parse(v);
        if (!p.ok) return p;
        return p.value < min || p.value > max ? bad(`from ${show(min)} to ${show(max)} is expected`) : p;
    };
}

export const showCpu = (milli: number) => (milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`);
const BYTE_UNITS: Array<[string, number]> = [
    ["Ti", 1024 ** 4],
    ["Gi", GiB],
    ["Mi", MiB],
];
export const showBytes = (bytes: number) => {
    const unit = BYTE_UNITS.find(([, size]) => bytes % size === 0);
    return unit ? `${bytes / unit[1]}${unit[0]}` : `${bytes}`;
};
export const showJvm = (bytes: number) => (bytes % GiB === 0 ? `${bytes / GiB}g` : `${bytes / MiB}m`);
export const showSeconds = (s: number) =>
    s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;

/** A Prometheus duration ("15s", "1m", "500ms", "1h") in seconds. */
export function parsePromDuration(value: string): Parsed<number> {
    const m = /^([1-9]\d*)(ms|s|m|h)$/.exec(value.trim());
    if (!m) return bad(`a Prometheus duration such as "15s" or "1m" is expected`);
    return ok(Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as "s"]);
}

/** The IANA areas of Area/Location zone names (tzdata's file layout). */
const TZ_AREAS = ["Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific", "Etc"];
let knownZones: Set<string> | undefined;

/**
 * An IANA time zone as Kubernetes looks it up (Go's time.LoadLocation: exact, case-sensitive).
 * Accepted: "UTC"; a zone in the runtime's list (Intl.supportedValuesOf("timeZone")); or, since
 * that list holds only the zones the runtime's ICU calls canonical (it has Europe/Kiev, not
 * Europe/Kyiv; no Etc/UTC), any Area/Location name the runtime accepts, spelled as IANA spells it
 * (a known area, each further part capitalised). Refused: names the runtime does not know, other
 * letter cases, and old aliases outside the areas (US/Pacific, EST); the message names the zone
 * the runtime resolves them to.
 */
export function checkTimeZone(value: string): string | undefined {
    knownZones ??= new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);
    if (knownZones.has(value)) return undefined;
    let resolved: string;
    try {
        resolved = new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
    } catch {
        return "not a time zone of the IANA database: an IANA time zone such as UTC or Europe/Berlin is expected";
    }
    const [area, ...rest] = value.split("/");
    const listedSpelling = [...knownZones].find((z) => z.toLowerCase() === value.toLowerCase());
    const word = /^[A-Z][a-z]+(?:[_-][A-Za-z][a-z]*)*$/;
    const etc = /^(UTC|UCT|GMT|GMT0|GMT[+-]\d{1,2}|Universal|Zulu|Greenwich)$/;
    const spelledAsIana =
        listedSpelling === undefined &&
        TZ_AREAS.includes(area) &&
        rest.length > 0 &&
        rest.every((part) => (area === "Etc" ? etc.test(part) : word.test(part)));
    if (spelledAsIana) return undefined;
    return `time zone names are exact and case-sensitive, and old aliases are refused: use "${listedSpelling ?? resolved}"`;
}

export interface IpAddress {
    version: 4 | 6;
    value: bigint;
}

/** An IPv4 or IPv6 address (no zone index), as a number. */
export function parseIp(text: string): IpAddress | undefined {
    if (net.isIPv4(text)) {
        return { version: 4, value: text.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
    }
    if (!net.isIPv6(text) || text.includes("%")) return undefined;
    let address = text;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
    if (v4) {
        const n = parseIp(v4[1])!.value;
        address = address.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
    const groups = (s: string | undefined) => (s ? s.split(":") : []);
    const missing = 8 - groups(head).length - groups(tail).length;
    const all = tail === undefined ? groups(head) : [...groups(head), ...Array(missing).fill("0"), ...groups(tail)];
    return { version: 6, value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatIp(ip: IpAddress): string {
    if (ip.version === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join(".");
    const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
    // Compress the longest run of two or more zero groups (RFC 5952).
    let best = [-1, 0];
    for (let i = 0; i < 8;) {
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > best[1]) best = [i, j - i];
        i = j === i ? i + 1 : j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best[1] < 2) return hex.join(":");
    return `${hex.slice(0, best[0]).join(":")}::${hex.slice(best[0] + best[1]).join(":")}`;
}

export interface Cidr extends IpAddress {
    prefix: number;
}

const bits = (version: 4 | 6) => (version === 4 ? 32 : 128);
const cidr = (text: string): Cidr => {
    const [a, p] = text.split("/");
    return { ...parseIp(a)!, prefix: Number(p) };
};
const contains = (block: Cidr, ip: IpAddress) =>
    block.version === ip.version &&
    ip.value >> BigInt(bits(ip.version) - block.prefix) === block.value >> BigInt(bits(ip.version) - block.prefix);
const overlaps = (a: Cidr, b: Cidr) => a.version === b.version && (a.prefix <= b.prefix ? contains(a, b) : contains(b, a));

/** Addresses a pod must never be sent to: loopback, link-local (instance metadata among them), unspecified, multicast. */
const FORBIDDEN_BLOCKS: Array<{ block: Cidr; what: string }> = [
    { block: cidr("0.0.0.0/8"), what: "the unspecified network 0.0.0.0/8" },
    { block: cidr("127.0.0.0/8"), what: "loopback 127.0.0.0/8" },
    { block: cidr("169.254.0.0/16"), what: "link-local 169.254.0.0/16, where the instance metadata service 169.254.169.254 answers" },
    { block: cidr("224.0.0.0/3"), what: "multicast and reserved 224.0.0.0/3" },
    { block: cidr("::/128"), what: "the unspecified address ::" },
    { block: cidr("::1/128"), what: "loopback ::1" },
    { block: cidr("::ffff:0:0/96"), what: "IPv4-mapped ::ffff:0:0/96 (write the IPv4 address itself)" },
    { block: cidr("fe80::/10"), what: "link-local fe80::/10" },
    { block: cidr("fd00:ec2::/32"), what: "AWS's fd00:ec2::/32, where the instance metadata service fd00:ec2::254 answers" },
    { block: cidr("ff00::/8"), what: "multicast ff00::/8" },
];

/** Why a pod may not be sent to this address, or undefined. */
export function forbiddenAddress(ip: IpAddress): string | undefined {
    return FORBIDDEN_BLOCKS.find((f) => contains(f.block, ip))?.what;
}

/** Host names that are loopback or the instance metadata service under another name. */
const FORBIDDEN_HOSTS = /^(localhost|.*\.localhost|instance-data|instance-data\.ec2\.internal|metadata\.google\.internal)\.?$/i;

/** Why a host (name or address literal) may not be a destination, or undefined. */
export function forbiddenHost(host: string): string | undefined {
    if (FORBIDDEN_HOSTS.test(host)) return `${host} is loopback or the instance metadata service`;
    const ip = parseIp(host.replace(/^\[(.*)\]$/, "$1"));
    const what = ip && forbiddenAddress(ip);
    return what ? `${host} is in ${what}` : undefined;
}

/** Narrowest blocks a database address range may be widened to: an AWS VPC is at most a /16 (IPv4) or /44 (IPv6). */
export const MIN_CIDR_PREFIX = { 4: 16, 6: 44 } as const;

/** `what` names the kind of network in the "too wide" message, e.g. "a database network". */
export function parseCidr(value: string, what = "a database network"): Parsed<Cidr> {
    const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(value);
    const ip = m ? parseIp(m[1]) : undefined;
    if (!m || !ip || Number(m[2]) > bits(ip.version))
        return bad("an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2600:1f14:abc:de00::/56 is expected");
    const block: Cidr = { ...ip, prefix: Number(m[2]) };
    const hostBits = BigInt(bits(ip.version) - block.prefix);
    const network: Cidr = { ...block, value: (ip.value >> hostBits) << hostBits };
    if (network.value !== ip.value) {
        return bad(`host bits are set: the block is written with its first address, ${formatIp(network)}/${block.prefix}`);
    }
    if (block.prefix < MIN_CIDR_PREFIX[ip.version]) {
        return bad(
            `a /${block.prefix} opens far more than ${what}; at most a /${MIN_CIDR_PREFIX[ip.version]} (the largest AWS VPC block) is allowed`,
        );
    }
    const forbidden = FORBIDDEN_BLOCKS.find((f) => overlaps(f.block, block));
    if (forbidden) return bad(`it overlaps ${forbidden.what}`);
    return ok(block);
}

/**
 * A comma-separated list of CIDR blocks, each checked like parseCidr (spaces after the commas are
 * allowed); an empty list, an empty item or the same block twice is refused.
 */
export function parseCidrList(value: string, what: string): Parsed<string[]> {
    const items = value.split(",").map((s) => s.trim());
    if (items.some((s) => s === ""))
        return bad("a comma-separated list of CIDR blocks such as 10.20.0.0/16,10.21.0.0/16 is expected (an item is empty)");
    const problems: string[] = [];
    for (const item of items) {
        const p = parseCidr(item, what);
        if (!p.ok) problems.push(`${item}: ${p.reason}`);
    }
    const duplicate = items.find((s, i) => items.indexOf(s) !== i);
    if (duplicate !== undefined) problems.push(`${duplicate} is listed twice`);
    return problems.length > 0 ? bad(problems.join("; ")) : ok(items);
}

/** An IPv4 or IPv6 CIDR block for a NetworkPolicy ipBlock: network address, not too wide, nothing forbidden inside. */
export function checkCidr(value: string): string | undefined {
    const p = parseCidr(value);
    return p.ok ? undefined : p.reason;
}

export function cidrContains(block: Cidr, ip: IpAddress): boolean {
    return contains(block, ip);
}

/** An http(s) URL whose host is not loopback, link-local or the instance metadata service. */
export function checkDestinationUrl(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "an http(s) URL is expected";
    }
    if (!/^https?:$/.test(url.protocol) || !/^https?:\/\/\S+$/.test(value)) return "an http(s) URL is expected";
    // URL normalises the host: http://2852039166/ and http://0xa9.0xfe.0xa9.0xfe/ become 169.254.169.254.
    const why = forbiddenHost(url.hostname);
    return why ? `${why}: the probe must target the service's public address` : undefined;
}
