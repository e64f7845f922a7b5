// The Kibana custom resource (kibana.k8s.elastic.co/v1): count per environment, connected to the
// cluster by elasticsearchRef (the operator creates its credentials and trusts the cluster's CA).
import { ElasticStackConfig } from "../../config/types";
import { elasticContainerSecurityContext, elasticPodSecurityContext } from "./elasticsearch";

export const KIBANA_MEMORY = "1Gi";

export function kibanaPodLabels(kibanaName: string): Record<string, string> {
    return { "kibana.k8s.elastic.co/name": kibanaName };
}

export function buildKibana(
    name: string,
    namespace: string,
    esName: string,
    stack: ElasticStackConfig,
    labels: Record<string, string>,
): Record<string, any> {
    return {
        apiVersion: "kibana.k8s.elastic.co/v1",
        kind: "Kibana",
        metadata: { name, namespace, labels },
        spec: {
            version: stack.version,
            count: stack.kibanaCount,
            elasticsearchRef: { name: esName },
            config: { "telemetry.optIn": false },
            podTemplate: {
                metadata: { labels },
                spec: {
                    securityContext: elasticPodSecurityContext(),
                    containers: [
                        {
                            name: "kibana",
                            resources: { requests: { memory: KIBANA_MEMORY, cpu: "500m" }, limits: { memory: KIBANA_MEMORY, cpu: "1" } },
                            securityContext: elasticContainerSecurityContext(),
                        },
                    ],
                },
            },
        },
    };
}
