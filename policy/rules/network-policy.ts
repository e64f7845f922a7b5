// Every namespace the stack runs workloads in must have NetworkPolicies, and every workload's pods
// must be selected by at least one of them: a pod no policy selects accepts traffic from anywhere.
// Every namespace the stack creates denies by default, and no rule leaves out its peers (a rule
// with ports and no `to`/`from` admits every address on those ports).
import { podTemplateOf } from "./pods";
import { PolicyResource, ResourceRule, StackRule, StackViolation } from "./types";

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** Does a Kubernetes label selector select these labels? An empty selector selects every pod. */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
    if (!selector) return true;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) return false;
    }
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values: string[] = e.values ?? [];
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && values.includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

const NAMESPACE = "kubernetes:core/v1:Namespace";

export interface NetworkPolicyRuleOptions {
    /**
     * Namespaces owned by another stack of this project, whose NetworkPolicies that stack creates:
     * the canary stack runs in production's namespace and production's policies select its pods.
     * A stack that does not create such a namespace is trusted to rely on its owner, whose own
     * check covers the namespace — unless `otherStacks` is given.
     */
    sharedNamespaces: string[];
    /**
     * Resources of the project's other stacks (the offline check renders all four). When given,
     * nothing is trusted: a workload in another stack's namespace must be selected by one of the
     * NetworkPolicies that stack creates there.
     */
    otherStacks?: PolicyResource[];
}

export function namespaceNetworkPolicyRule(opts: NetworkPolicyRuleOptions): StackRule {
    return {
        kind: "stack",
        name: "namespace-network-policy",
        description: "Every namespace with workloads has NetworkPolicies, and each workload's pods are selected by one of them.",
        validate(resources: PolicyResource[]): StackViolation[] {
            const ownNamespaces = new Set(resources.filter((r) => r.type === NAMESPACE).map((r) => r.props.metadata?.name));
            const policies = [...resources, ...(opts.otherStacks ?? [])].filter((r) => r.type === NETWORK_POLICY);
            const out: StackViolation[] = [];
            for (const resource of resources) {
                const pod = podTemplateOf(resource);
                if (!pod) continue;
                const inNamespace = policies.filter((p) => p.props.metadata?.namespace === pod.namespace);
                const where = pod.namespace ?? "the provider's default namespace";
                if (inNamespace.some((p) => selectorMatches(p.props.spec?.podSelector, pod.podLabels))) continue;
                const shared =
                    pod.namespace !== undefined && !ownNamespaces.has(pod.namespace) && opts.sharedNamespaces.includes(pod.namespace);
                if (shared && opts.otherStacks === undefined) continue;
                const owner = shared ? " (the namespace and its NetworkPolicies belong to another stack)" : "";
                out.push({
                    resource,
                    message:
                        inNamespace.length === 0
                            ? `${pod.label}: namespace ${where} has no NetworkPolicy${owner}`
                            : `${pod.label}: no NetworkPolicy in ${where} selects its pods (labels ${JSON.stringify(pod.podLabels)})${owner}`,
                });
            }
            return out;
        },
    };
}

/** The pack's rule: the canary stack runs in production's namespace, covered by production's policies. */
export const SHARED_NAMESPACES = ["kline-analytics-production"];
export const namespaceNetworkPolicy = namespaceNetworkPolicyRule({ sharedNamespaces: SHARED_NAMESPACES });

/** The rules of one direction that name no peer: such a rule admits every address (on its ports, or on all). */
function rulesWithoutPeers(rules: unknown, peerKey: "from" | "to"): number[] {
    if (!Array.isArray(rules)) return [];
    const out: number[] = [];
    rules.forEach((rule, i) => {
        const peers = rule?.[peerKey];
        if (!Array.isArray(peers) || peers.length === 0) out.push(i);
    });
    return out;
}

function describePorts(rule: any): string {
    const ports: any[] = Array.isArray(rule?.ports) ? rule.ports : [];
    if (ports.length === 0) return "every port";
    return ports.map((p) => `${p?.protocol ?? "TCP"}/${p?.port ?? "any"}${p?.endPort ? `-${p.endPort}` : ""}`).join(", ");
}

export const networkPolicyPeers: ResourceRule = {
    kind: "resource",
    name: "network-policy-peers",
    description:
        "Every ingress rule of a NetworkPolicy names its sources (from) and every egress rule its destinations (to): a rule without them admits every address.",
    validate(resource) {
        if (resource.type !== NETWORK_POLICY) return [];
        const spec = resource.props.spec ?? {};
        const where = `NetworkPolicy ${resource.props.metadata?.namespace ?? "?"}/${resource.props.metadata?.name ?? resource.name}`;
        const out: string[] = [];
        for (const [key, peerKey, what] of [
            ["ingress", "from", "source"],
            ["egress", "to", "destination"],
        ] as const) {
            for (const i of rulesWithoutPeers(spec[key], peerKey)) {
                out.push(
                    `${where}: ${key}[${i}] has no ${peerKey}, so it admits ${peerKey === "from" ? "every source" : "every destination"} on ${describePorts(spec[key][i])}: ` +
                        `name the ${what} (podSelector, namespaceSelector or ipBlock)`,
                );
            }
        }
        return out;
    },
};

/** Whether a NetworkPolicy denies all ingress and egress of every pod in its namespace. */
export function isDefaultDeny(policy: PolicyResource): boolean {
    const spec = policy.props.spec ?? {};
    const selector = spec.podSelector ?? {};
    const selectsAll = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
    const types: unknown[] = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
    const empty = (rules: unknown) => rules === undefined || rules === null || (Array.isArray(rules) && rules.length === 0);
    return selectsAll && types.includes("Ingress") && types.includes("Egress") && empty(spec.ingress) && empty(spec.egress);
}

export const namespaceDefaultDeny: StackRule = {
    kind: "stack",
    name: "namespace-default-deny",
    description:
        "Every namespace the stack creates has a NetworkPolicy that selects every pod and denies all ingress and egress, so only explicit allows open a path.",
    validate(resources) {
        const policies = resources.filter((r) => r.type === NETWORK_POLICY);
        const out: StackViolation[] = [];
        for (const ns of resources.filter((r) => r.type === NAMESPACE)) {
            const name = ns.props.metadata?.name;
            if (typeof name !== "string") continue;
            if (policies.some((p) => p.props.metadata?.namespace === name && isDefaultDeny(p))) continue;
            out.push({
                resource: ns,
                message:
                    `namespace ${name} has no default-deny NetworkPolicy: add one with podSelector {}, ` +
                    `policyTypes [Ingress, Egress] and no rules, then allow each flow its pods need`,
            });
        }
        return out;
    },
};
