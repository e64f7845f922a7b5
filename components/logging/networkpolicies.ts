// NetworkPolicies of the logging namespaces as data: deny everything, then allow exactly the flows
// of the Elastic stack. Elasticsearch: 9200 (HTTP) from Kibana, Filebeat, the installer and the
// operator; 9300 (transport) between its own nodes. Kibana: 5601 from the installer only (people
// reach it with `kubectl port-forward`, which NetworkPolicies do not see). Filebeat and the ECK
// operator reach the API server at its address blocks (config apiServerCidrs), and the API server
// reaches the operator's webhook.
import { ApiServer, NamedPolicy, baseline, fromApiServer, inNamespace, podPolicy, tcp, toApiServer } from "../shared/network";

export type { NamedPolicy };

export interface LoggingPolicyArgs {
    namespace: string;
    shipperNamespace: string;
    operatorNamespace: string;
    esPods: Record<string, string>;
    kibanaPods: Record<string, string>;
    shipperPods: Record<string, string>;
    installerPods: Record<string, string>;
    operatorPods: Record<string, string>;
    apiServer: ApiServer;
}

export const ES_HTTP_PORT = 9200;
export const ES_TRANSPORT_PORT = 9300;
export const KIBANA_PORT = 5601;
/** The ECK operator's admission webhook (the chart's default `webhook.port`). */
export const ECK_WEBHOOK_PORT = 9443;

export function loggingNetworkPolicies(a: LoggingPolicyArgs): NamedPolicy[] {
    const es = { podSelector: { matchLabels: a.esPods } };
    const kibana = { podSelector: { matchLabels: a.kibanaPods } };
    const installer = { podSelector: { matchLabels: a.installerPods } };
    return [
        ...baseline(a.namespace),
        podPolicy("elasticsearch", a.namespace, a.esPods, {
            ingress: [
                {
                    from: [
                        kibana,
                        installer,
                        inNamespace(a.shipperNamespace, a.shipperPods),
                        inNamespace(a.operatorNamespace, a.operatorPods),
                    ],
                    ports: [tcp(ES_HTTP_PORT)],
                },
                { from: [es], ports: [tcp(ES_TRANSPORT_PORT), tcp(ES_HTTP_PORT)] },
            ],
            egress: [{ to: [es], ports: [tcp(ES_TRANSPORT_PORT), tcp(ES_HTTP_PORT)] }],
        }),
        podPolicy("kibana", a.namespace, a.kibanaPods, {
            ingress: [{ from: [installer], ports: [tcp(KIBANA_PORT)] }],
            egress: [{ to: [es], ports: [tcp(ES_HTTP_PORT)] }],
        }),
        podPolicy("logging-assets-installer", a.namespace, a.installerPods, {
            egress: [
                { to: [es], ports: [tcp(ES_HTTP_PORT)] },
                { to: [kibana], ports: [tcp(KIBANA_PORT)] },
            ],
        }),
        ...baseline(a.shipperNamespace),
        podPolicy("filebeat", a.shipperNamespace, a.shipperPods, {
            egress: [
                { to: [inNamespace(a.namespace, a.esPods)], ports: [tcp(ES_HTTP_PORT)] },
                // add_kubernetes_metadata watches pods through the API server, which no label selects.
                toApiServer(a.apiServer),
            ],
        }),
        ...baseline(a.operatorNamespace),
        podPolicy("eck-operator", a.operatorNamespace, a.operatorPods, {
            // The API server calls the operator's validating webhook.
            ingress: [fromApiServer(a.apiServer, ECK_WEBHOOK_PORT)],
            // It watches and writes its resources through the API server and configures
            // Elasticsearch (users, license, settings) over its HTTP port.
            egress: [toApiServer(a.apiServer), { to: [inNamespace(a.namespace, a.esPods)], ports: [tcp(ES_HTTP_PORT)] }],
        }),
    ];
}
