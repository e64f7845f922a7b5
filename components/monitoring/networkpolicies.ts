// NetworkPolicies of the monitoring namespaces as data: deny everything, then allow the flows the
// workloads of kube-prometheus-stack and the blackbox exporter need. The pods are the charts'
// (Helm releases), so the selectors use the labels those charts and the Prometheus operator put on
// them. What each one may reach:
//   Prometheus      every pod of the cluster (it scrapes targets found in every namespace and sends
//                   alerts to Alertmanager), the kubelet and node-exporter at the nodes' addresses,
//                   the API server (service discovery, and its own metrics)
//   Alertmanager    its receivers (PagerDuty, Slack, the heartbeat) on 443 at public addresses, and
//                   its peers (gossip, 9094 TCP and UDP)
//   Grafana         Prometheus and Alertmanager (data sources), the API server (its sidecars load
//                   dashboards and data sources from ConfigMaps)
//   kube-state-metrics, the operator and its admission jobs: the API server; the API server calls
//                   the operator's admission webhook
//   blackbox        the probed URL's port at public addresses (or at the URL's own address literal)
// Prometheus may scrape every pod of these namespaces; nothing else may connect except as listed.
import {
    ApiServer,
    NamedPolicy,
    PUBLIC_IPV4,
    baseline,
    fromApiServer,
    inNamespace,
    ipBlocks,
    pods,
    tcp,
    toApiServer,
    udp,
} from "../shared/network";
import { INSTANCE_LABEL, NAME_LABEL } from "../../contract/names";
import { BLACKBOX_RELEASE, KPS_RELEASE } from "./values";

export const PROMETHEUS_PODS = { [NAME_LABEL]: "prometheus" };
export const ALERTMANAGER_PODS = { [NAME_LABEL]: "alertmanager" };
export const GRAFANA_PODS = { [NAME_LABEL]: "grafana" };
export const KUBE_STATE_METRICS_PODS = { [NAME_LABEL]: "kube-state-metrics" };
export const OPERATOR_PODS = { app: `${KPS_RELEASE}-operator` };
/** The chart's hook Jobs that create the webhook certificate and patch it into the webhook configurations. */
export const ADMISSION_JOB_APPS = [`${KPS_RELEASE}-admission-create`, `${KPS_RELEASE}-admission-patch`];
export const BLACKBOX_PODS = { [INSTANCE_LABEL]: BLACKBOX_RELEASE };
export const NODE_EXPORTER_PODS = { [NAME_LABEL]: "prometheus-node-exporter" };

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const ALERTMANAGER_CLUSTER_PORT = 9094;
/** The operator's web port with TLS on (the chart's default `prometheusOperator.tls.internalPort`): metrics and the webhook. */
export const OPERATOR_WEBHOOK_PORT = 10250;
export const KUBELET_PORT = 10250;
export const NODE_EXPORTER_PORT = 9100;

export interface MonitoringPolicyArgs {
    namespace: string;
    nodeExporterNamespace: string;
    apiServer: ApiServer;
    nodeCidrs: string[];
    /** The URL the blackbox exporter probes. */
    probeUrl: string;
}

/** Where the blackbox exporter may connect: the probed URL's port, at its address literal or at public addresses. */
export function probeDestination(probeUrl: string) {
    const url = new URL(probeUrl);
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const literal = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? `${host}/32` : host.includes(":") ? `${host}/128` : undefined;
    return { to: literal ? ipBlocks([literal]) : [PUBLIC_IPV4], ports: [tcp(port)] };
}

export function monitoringNetworkPolicies(a: MonitoringPolicyArgs): NamedPolicy[] {
    const ns = a.namespace;
    const prometheus = pods(PROMETHEUS_PODS);
    const grafana = pods(GRAFANA_PODS);
    const alertmanager = pods(ALERTMANAGER_PODS);
    const gossip = [tcp(ALERTMANAGER_CLUSTER_PORT), udp(ALERTMANAGER_CLUSTER_PORT)];
    const policy = (name: string, spec: NamedPolicy["spec"]): NamedPolicy => ({ name, namespace: ns, spec });
    return [
        ...baseline(ns),
        policy("allow-prometheus-scrape", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [prometheus] }] }),
        policy("prometheus", {
            podSelector: { matchLabels: PROMETHEUS_PODS },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [grafana], ports: [tcp(PROMETHEUS_PORT)] }],
            egress: [
                { to: [{ namespaceSelector: {} }] },
                { to: ipBlocks(a.nodeCidrs), ports: [tcp(KUBELET_PORT), tcp(NODE_EXPORTER_PORT)] },
                toApiServer(a.apiServer),
            ],
        }),
        policy("alertmanager", {
            podSelector: { matchLabels: ALERTMANAGER_PODS },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                { from: [prometheus, grafana], ports: [tcp(ALERTMANAGER_PORT)] },
                { from: [alertmanager], ports: gossip },
            ],
            egress: [
                { to: [PUBLIC_IPV4], ports: [tcp(443)] },
                { to: [alertmanager], ports: gossip },
            ],
        }),
        policy("grafana", {
            podSelector: { matchLabels: GRAFANA_PODS },
            policyTypes: ["Egress"],
            egress: [
                { to: [prometheus], ports: [tcp(PROMETHEUS_PORT)] },
                { to: [alertmanager], ports: [tcp(ALERTMANAGER_PORT)] },
                toApiServer(a.apiServer),
            ],
        }),
        policy("kube-state-metrics", {
            podSelector: { matchLabels: KUBE_STATE_METRICS_PODS },
            policyTypes: ["Egress"],
            egress: [toApiServer(a.apiServer)],
        }),
        policy("prometheus-operator", {
            podSelector: { matchLabels: OPERATOR_PODS },
            policyTypes: ["Ingress", "Egress"],
            ingress: [fromApiServer(a.apiServer, OPERATOR_WEBHOOK_PORT)],
            egress: [toApiServer(a.apiServer)],
        }),
        policy("prometheus-operator-admission-jobs", {
            podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ADMISSION_JOB_APPS }] },
            policyTypes: ["Egress"],
            egress: [toApiServer(a.apiServer)],
        }),
        policy("blackbox-exporter", {
            podSelector: { matchLabels: BLACKBOX_PODS },
            policyTypes: ["Egress"],
            egress: [probeDestination(a.probeUrl)],
        }),
        ...baseline(a.nodeExporterNamespace),
        // node-exporter runs in the host's network namespace, where most network plugins do not
        // apply NetworkPolicies; where they do, only Prometheus reaches it.
        {
            name: "node-exporter",
            namespace: a.nodeExporterNamespace,
            spec: {
                podSelector: { matchLabels: NODE_EXPORTER_PODS },
                policyTypes: ["Ingress"],
                ingress: [{ from: [inNamespace(ns, PROMETHEUS_PODS)], ports: [tcp(NODE_EXPORTER_PORT)] }],
            },
        },
    ];
}
