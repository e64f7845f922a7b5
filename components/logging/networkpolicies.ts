// NetworkPolicies of the logging namespaces as data: deny everything, then allow exactly the flows
// of the Elastic stack. Elasticsearch: 9200 (HTTP) from Kibana, Filebeat, the installer and the
// operator; 9300 (transport) between its own nodes. Kibana: 5601 from the installer only (people
// reach it with `kubectl port-forward`, which NetworkPolicies do not see).
import * as k8s from "@pulumi/kubernetes";

export interface NamedPolicy {
    name: string;
    namespace: string;
    spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

export interface LoggingPolicyArgs {
    namespace: string;
    shipperNamespace: string;
    operatorNamespace: string;
    esPods: Record<string, string>;
    kibanaPods: Record<string, string>;
    shipperPods: Record<string, string>;
    installerPods: Record<string, string>;
}

export const ES_HTTP_PORT = 9200;
export const ES_TRANSPORT_PORT = 9300;
export const KIBANA_PORT = 5601;

const tcp = (port: number) => ({ protocol: "TCP", port });
const inNamespace = (name: string, pods?: Record<string, string>) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
    ...(pods ? { podSelector: { matchLabels: pods } } : {}),
});

function baseline(namespace: string): NamedPolicy[] {
    return [
        { name: "default-deny-all", namespace, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        {
            name: "allow-dns-egress",
            namespace,
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ ...inNamespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
        },
    ];
}

export function loggingNetworkPolicies(a: LoggingPolicyArgs): NamedPolicy[] {
    const es = { podSelector: { matchLabels: a.esPods } };
    const kibana = { podSelector: { matchLabels: a.kibanaPods } };
    const installer = { podSelector: { matchLabels: a.installerPods } };
    return [
        ...baseline(a.namespace),
        {
            name: "elasticsearch",
            namespace: a.namespace,
            spec: {
                podSelector: { matchLabels: a.esPods },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    {
                        from: [kibana, installer, inNamespace(a.shipperNamespace, a.shipperPods), inNamespace(a.operatorNamespace)],
                        ports: [tcp(ES_HTTP_PORT)],
                    },
                    { from: [es], ports: [tcp(ES_TRANSPORT_PORT), tcp(ES_HTTP_PORT)] },
                ],
                egress: [{ to: [es], ports: [tcp(ES_TRANSPORT_PORT), tcp(ES_HTTP_PORT)] }],
            },
        },
        {
            name: "kibana",
            namespace: a.namespace,
            spec: {
                podSelector: { matchLabels: a.kibanaPods },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [installer], ports: [tcp(KIBANA_PORT)] }],
                egress: [{ to: [es], ports: [tcp(ES_HTTP_PORT)] }],
            },
        },
        {
            name: "logging-assets-installer",
            namespace: a.namespace,
            spec: {
                podSelector: { matchLabels: a.installerPods },
                policyTypes: ["Egress"],
                egress: [
                    { to: [es], ports: [tcp(ES_HTTP_PORT)] },
                    { to: [kibana], ports: [tcp(KIBANA_PORT)] },
                ],
            },
        },
        ...baseline(a.shipperNamespace),
        {
            name: "filebeat",
            namespace: a.shipperNamespace,
            spec: {
                podSelector: { matchLabels: a.shipperPods },
                policyTypes: ["Egress"],
                egress: [
                    { to: [inNamespace(a.namespace, a.esPods)], ports: [tcp(ES_HTTP_PORT)] },
                    // The Kubernetes API (pod metadata). Its address is the cluster's, not a pod's,
                    // so only the port can be pinned.
                    { ports: [tcp(443), tcp(6443)] },
                ],
            },
        },
    ];
}
