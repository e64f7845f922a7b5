// Every namespace the stack runs workloads in must have NetworkPolicies, and every workload's pods
// must be selected by at least one of them: a pod no policy selects accepts traffic from anywhere.
import { podTemplateOf } from "./pods";
import { PolicyResource, StackRule, StackViolation } from "./types";

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

export const namespaceNetworkPolicy: StackRule = {
    kind: "stack",
    name: "namespace-network-policy",
    description: "Every namespace with workloads has NetworkPolicies, and each workload's pods are selected by one of them.",
    validate(resources: PolicyResource[]): StackViolation[] {
        const policies = resources.filter((r) => r.type === NETWORK_POLICY);
        const out: StackViolation[] = [];
        for (const resource of resources) {
            const pod = podTemplateOf(resource);
            if (!pod) continue;
            const inNamespace = policies.filter((p) => p.props.metadata?.namespace === pod.namespace);
            const where = pod.namespace ?? "the provider's default namespace";
            if (inNamespace.length === 0) {
                out.push({ resource, message: `${pod.label}: namespace ${where} has no NetworkPolicy` });
            } else if (!inNamespace.some((p) => selectorMatches(p.props.spec?.podSelector, pod.podLabels))) {
                out.push({
                    resource,
                    message: `${pod.label}: no NetworkPolicy in ${where} selects its pods (labels ${JSON.stringify(pod.podLabels)})`,
                });
            }
        }
        return out;
    },
};
