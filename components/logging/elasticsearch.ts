// The Elasticsearch custom resource (elasticsearch.k8s.elastic.co/v1), sized per environment.
// Heap: explicit, -Xms = -Xmx = the configured heap (config/logging.ts keeps it at most half of
// the memory limit; the other half is Lucene's filesystem cache and off-heap buffers). Memory and
// CPU limits equal the requests (Guaranteed QoS: the node is the last to be evicted).
import { ElasticStackConfig } from "../../config/types";
import { restrictedContainerSecurityContext } from "../../contract/security";

export const ES_DATA_VOLUME = "elasticsearch-data";
export const ZONE_LABEL = "topology.kubernetes.io/zone";
const NODE_SET = "default";

export function elasticsearchPodLabels(esName: string): Record<string, string> {
    return { "elasticsearch.k8s.elastic.co/cluster-name": esName };
}

/** Pod-level context for the Elastic stack's own pods (uid 1000 is the image's elasticsearch/kibana user). */
export function elasticPodSecurityContext(): Record<string, unknown> {
    return { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } };
}

/** The shared restricted container context; the seccomp profile is set once, at the pod level (above). */
export function elasticContainerSecurityContext(): Record<string, unknown> {
    const { seccompProfile: _podLevel, ...context } = restrictedContainerSecurityContext();
    return context;
}

export function buildElasticsearch(
    name: string,
    namespace: string,
    stack: ElasticStackConfig,
    labels: Record<string, string>,
): Record<string, any> {
    const es = stack.elasticsearch;
    const zone = es.zoneAwareness;
    const config: Record<string, unknown> = {
        "node.roles": ["master", "data", "ingest"],
        // No mmap: Elasticsearch then needs no raised vm.max_map_count, which only a privileged
        // init container could set, and the restricted Pod Security level forbids that. The cost
        // is some search speed, acceptable for logs; a node pool with the sysctl set can drop this.
        "node.store.allow_mmap": false,
        // The GeoIP database downloader would call out of the cluster; NetworkPolicies block it anyway.
        "ingest.geoip.downloader.enabled": false,
    };
    const env: Array<Record<string, unknown>> = [{ name: "ES_JAVA_OPTS", value: `-Xms${es.heap} -Xmx${es.heap}` }];
    const podSpec: Record<string, any> = {
        securityContext: elasticPodSecurityContext(),
        containers: [
            {
                name: "elasticsearch",
                env,
                resources: { requests: { memory: es.memory, cpu: es.cpu }, limits: { memory: es.memory, cpu: es.cpu } },
                securityContext: elasticContainerSecurityContext(),
            },
        ],
    };
    const metadata: Record<string, any> = { name, namespace, labels };
    if (zone) {
        // The operator copies the node's zone label onto the pod (downward-node-labels); the pod
        // reads it into node.attr.zone, and shard copies are then kept in different zones.
        metadata.annotations = { "eck.k8s.elastic.co/downward-node-labels": ZONE_LABEL };
        config["node.attr.zone"] = "${ZONE}";
        config["cluster.routing.allocation.awareness.attributes"] = "k8s_node_name,zone";
        env.push({ name: "ZONE", valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${ZONE_LABEL}']` } } });
        const selector = {
            matchLabels: { ...elasticsearchPodLabels(name), "elasticsearch.k8s.elastic.co/statefulset-name": `${name}-es-${NODE_SET}` },
        };
        podSpec.topologySpreadConstraints = [
            { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: "DoNotSchedule", labelSelector: selector },
        ];
        podSpec.affinity = {
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: selector, topologyKey: "kubernetes.io/hostname" }],
            },
        };
    }
    return {
        apiVersion: "elasticsearch.k8s.elastic.co/v1",
        kind: "Elasticsearch",
        metadata,
        spec: {
            version: stack.version,
            nodeSets: [
                {
                    name: NODE_SET,
                    count: es.nodes,
                    config,
                    podTemplate: { metadata: { labels }, spec: podSpec },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: ES_DATA_VOLUME },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                resources: { requests: { storage: es.storage } },
                                ...(es.storageClass ? { storageClassName: es.storageClass } : {}),
                            },
                        },
                    ],
                },
            ],
        },
    };
}
