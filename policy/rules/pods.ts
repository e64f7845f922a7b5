// Where pod templates live in each workload kind, and the containers inside them; rules over them.
import { PolicyResource, ResourceRule } from "./types";

/** Workload kinds whose pods run until stopped (probes are required there). */
const LONG_RUNNING = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]);

const TEMPLATE_PATHS: Record<string, string[]> = {
    Deployment: ["spec", "template", "spec"],
    StatefulSet: ["spec", "template", "spec"],
    DaemonSet: ["spec", "template", "spec"],
    ReplicaSet: ["spec", "template", "spec"],
    Job: ["spec", "template", "spec"],
    CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
    Pod: ["spec"],
};

const WORKLOAD_TYPE = /^kubernetes:(?:apps|batch|core)\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet|Job|CronJob|Pod)$/;

export interface PodTemplate {
    kind: string;
    /** `Deployment kline-analytics-production/kline-analytics` — how messages name the workload. */
    label: string;
    namespace: string | undefined;
    spec: any;
    /** Labels of the pods the workload creates. */
    podLabels: Record<string, string>;
    longRunning: boolean;
}

export interface ContainerRef {
    /** `containers`, `initContainers` or `ephemeralContainers` */
    list: string;
    name: string;
    container: any;
}

export function workloadKind(resource: PolicyResource): string | undefined {
    return WORKLOAD_TYPE.exec(resource.type)?.[1];
}

/** The pod template of a workload resource, or undefined for any other resource. */
export function podTemplateOf(resource: PolicyResource): PodTemplate | undefined {
    const kind = workloadKind(resource);
    if (!kind) return undefined;
    let spec: any = resource.props;
    for (const key of TEMPLATE_PATHS[kind]) spec = spec?.[key];
    const metadata = resource.props.metadata ?? {};
    const namespace: string | undefined = metadata.namespace;
    const name = metadata.name ?? resource.name;
    const podMetadata =
        kind === "Pod"
            ? metadata
            : kind === "CronJob"
              ? resource.props.spec?.jobTemplate?.spec?.template?.metadata
              : resource.props.spec?.template?.metadata;
    const longRunning = LONG_RUNNING.has(kind) || (kind === "Pod" && (spec?.restartPolicy ?? "Always") === "Always");
    return {
        kind,
        label: `${kind} ${namespace ? `${namespace}/` : ""}${name}`,
        namespace,
        spec: spec ?? {},
        podLabels: podMetadata?.labels ?? {},
        longRunning,
    };
}

/** The lists of a pod spec that hold containers. */
export const ALL_CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"];

/** Every container of a pod spec, init and ephemeral ones included. */
export function containersOf(spec: any, lists = ALL_CONTAINER_LISTS): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const list of lists) {
        const items = spec?.[list];
        if (!Array.isArray(items)) continue;
        items.forEach((container: any, i: number) => out.push({ list, name: container?.name ?? `#${i}`, container: container ?? {} }));
    }
    return out;
}

export function describeContainer(c: ContainerRef): string {
    return c.list === "containers" ? `container "${c.name}"` : `${c.list.replace(/s$/, "").replace("Container", " container")} "${c.name}"`;
}

/** A resource rule that checks the pod template of every workload; any other resource passes. */
export function podRule(name: string, description: string, check: (pod: PodTemplate) => string[]): ResourceRule {
    return {
        kind: "resource",
        name,
        description,
        validate(resource) {
            const pod = podTemplateOf(resource);
            return pod ? check(pod) : [];
        },
    };
}

/**
 * A pod rule that checks each container of the given lists on its own; `who` names the workload and
 * the container, as every message starts.
 */
export function containerRule(
    name: string,
    description: string,
    lists: string[],
    check: (container: any, who: string, pod: PodTemplate) => string[],
): ResourceRule {
    return podRule(name, description, (pod) =>
        containersOf(pod.spec, lists).flatMap((c) => check(c.container, `${pod.label}: ${describeContainer(c)}`, pod)),
    );
}
