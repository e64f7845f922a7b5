// Container-level rules: resource requests and limits, pinned images, health probes.
import { ALL_CONTAINER_LISTS, containerRule } from "./pods";

const CPU = /^(\d+(?:\.\d+)?)(m)?$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$/;
const MEMORY_FACTOR: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** A Kubernetes quantity in base units (cores, bytes), or undefined when malformed. */
export function parseQuantity(resource: "cpu" | "memory", value: unknown): number | undefined {
    if (typeof value === "number") return value;
    if (typeof value !== "string") return undefined;
    if (resource === "cpu") {
        const m = CPU.exec(value);
        return m ? Number(m[1]) / (m[2] ? 1000 : 1) : undefined;
    }
    const m = MEMORY.exec(value);
    return m ? Number(m[1]) * MEMORY_FACTOR[m[2] ?? ""] : undefined;
}

export const containerResources = containerRule(
    "container-resources",
    "Every container sets CPU and memory requests and limits, with each request no larger than its limit.",
    ["containers", "initContainers"],
    (container, who) => {
        const res = container.resources ?? {};
        const out: string[] = [];
        for (const kind of ["cpu", "memory"] as const) {
            const request = res.requests?.[kind];
            const limit = res.limits?.[kind];
            if (request === undefined) out.push(`${who}: resources.requests.${kind} is missing`);
            if (limit === undefined) out.push(`${who}: resources.limits.${kind} is missing`);
            if (request === undefined || limit === undefined) continue;
            const r = parseQuantity(kind, request);
            const l = parseQuantity(kind, limit);
            if (r === undefined) out.push(`${who}: resources.requests.${kind} '${request}' is not a Kubernetes quantity`);
            if (l === undefined) out.push(`${who}: resources.limits.${kind} '${limit}' is not a Kubernetes quantity`);
            if (r !== undefined && l !== undefined && r > l)
                out.push(`${who}: resources.requests.${kind} ${request} exceeds the limit ${limit}`);
        }
        return out;
    },
);

/** Splits `registry:5000/team/app:1.2@sha256:...` into its tag and digest (either may be absent). */
export function imageReference(image: string): { tag?: string; digest?: string } {
    const at = image.indexOf("@");
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const nameAndTag = at >= 0 ? image.slice(0, at) : image;
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : undefined;
    return { tag: tag || undefined, digest: digest || undefined };
}

export const imagePinned = containerRule(
    "image-pinned",
    "Every container image names a version: a tag other than 'latest', or a digest.",
    ALL_CONTAINER_LISTS,
    (container, who) => {
        const image = container.image;
        if (typeof image !== "string" || image === "") return [`${who}: no image`];
        const { tag, digest } = imageReference(image);
        if (digest) return [];
        if (!tag) return [`${who}: image '${image}' has no tag; pin a version tag or a digest`];
        if (tag === "latest") return [`${who}: image '${image}' uses the 'latest' tag; pin a version tag or a digest`];
        return [];
    },
);

export const containerProbes = containerRule(
    "container-probes",
    "Every container of a long-running workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, restartable Pod) has liveness and readiness probes.",
    ["containers"],
    (container, who, pod) =>
        pod.longRunning
            ? ["livenessProbe", "readinessProbe"].filter((probe) => !container[probe]).map((probe) => `${who}: ${probe} is missing`)
            : [],
);
