// NetworkPolicy building blocks shared by every namespace this program creates: the default deny,
// DNS, and the peers that name a destination (a namespace's pods, address blocks, the API server,
// public addresses). Every rule built from these names its peers: a rule with ports and no peers
// would allow every address (policy/rules/network-policy.ts refuses it).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
export type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
export type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

/** A NetworkPolicy as data: its name, namespace and spec. */
export interface NamedPolicy {
    name: string;
    namespace: string;
    spec: NetworkPolicySpec;
}

export const tcp = (port: number): NetworkPolicyPort => ({ protocol: "TCP", port });
export const udp = (port: number): NetworkPolicyPort => ({ protocol: "UDP", port });

/** Pods of one namespace (all of them, or those with these labels). */
export function inNamespace(name: string, pods?: Record<string, string>): NetworkPolicyPeer {
    return {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
        ...(pods ? { podSelector: { matchLabels: pods } } : {}),
    };
}

/** Pods with these labels in the policy's own namespace. */
export const pods = (labels: Record<string, string>): NetworkPolicyPeer => ({ podSelector: { matchLabels: labels } });

/** One peer per address block. */
export const ipBlocks = (cidrs: string[]): NetworkPolicyPeer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

/**
 * Addresses that are never a destination outside the cluster: private (RFC 1918), shared
 * (RFC 6598, some pod networks) and link-local (where the instance metadata service answers).
 */
export const NON_PUBLIC_IPV4 = ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"];

/** Every public IPv4 address: for services on the internet that publish no fixed address blocks. */
export const PUBLIC_IPV4: NetworkPolicyPeer = { ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } };

/** Where the API server answers (NetworkPolicies cannot select it by label). */
export interface ApiServer {
    cidrs: string[];
    port: number;
}

/** An egress rule to the API server. */
export const toApiServer = (api: ApiServer) => ({ to: ipBlocks(api.cidrs), ports: [tcp(api.port)] });

/** An ingress rule from the API server (it calls admission webhooks) to the webhook's port. */
export const fromApiServer = (api: ApiServer, port: number) => ({ from: ipBlocks(api.cidrs), ports: [tcp(port)] });

export type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
export type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/**
 * The policy of the pods with these labels in `namespace`: it governs the directions it is given
 * rules for (policy types Ingress and/or Egress), and allows exactly those rules.
 */
export function podPolicy(
    name: string,
    namespace: string,
    podLabels: Record<string, string>,
    rules: { ingress?: NetworkPolicyIngressRule[]; egress?: NetworkPolicyEgressRule[] },
): NamedPolicy {
    const policyTypes = [...(rules.ingress ? ["Ingress"] : []), ...(rules.egress ? ["Egress"] : [])];
    return { name, namespace, spec: { podSelector: { matchLabels: podLabels }, policyTypes, ...rules } };
}

/** Deny all ingress and egress of every pod in the namespace; the other policies add what is needed. */
export function defaultDeny(namespace: string): NamedPolicy {
    return { name: "default-deny-all", namespace, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
}

/** Every pod of the namespace may resolve names with the cluster DNS. */
export function dnsEgress(namespace: string): NamedPolicy {
    return {
        name: "allow-dns-egress",
        namespace,
        spec: {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [inNamespace("kube-system", { "k8s-app": "kube-dns" })], ports: [udp(53), tcp(53)] }],
        },
    };
}

/** The two policies every namespace starts with: deny everything, allow DNS. */
export const baseline = (namespace: string): NamedPolicy[] => [defaultDeny(namespace), dnsEgress(namespace)];

/**
 * Creates the policies as NetworkPolicy resources named `<name>-netpol-<namespace>-<policy>`, each
 * in the Namespace resource of its namespace (so it waits for it).
 */
export function createNetworkPolicies(
    name: string,
    policies: NamedPolicy[],
    namespaces: Record<string, k8s.core.v1.Namespace>,
    labels: Record<string, string>,
    opts: pulumi.CustomResourceOptions,
): Array<{ policy: NamedPolicy; resource: k8s.networking.v1.NetworkPolicy }> {
    return policies.map((p) => {
        const ns = namespaces[p.namespace];
        if (!ns) throw new Error(`NetworkPolicy ${p.name}: namespace ${p.namespace} is not one this component creates`);
        const resource = new k8s.networking.v1.NetworkPolicy(
            `${name}-netpol-${p.namespace}-${p.name}`,
            { metadata: { name: p.name, namespace: ns.metadata.name, labels }, spec: p.spec },
            opts,
        );
        return { policy: p, resource };
    });
}
