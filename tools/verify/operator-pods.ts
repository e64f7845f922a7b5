// Stand-in Pods for workloads that operators create from custom resources (ECK makes the
// Elasticsearch, Kibana, Beat, Agent and Logstash pods). kube-score only matches NetworkPolicies,
// Services and PDBs against pods it can see in the manifest; without these, every policy that
// selects ECK pods would be "targets no pod". The stand-ins carry the labels ECK 3.x puts on its
// pods plus the CR's own podTemplate labels, so a selector typo still shows up. They are given
// to kube-score as context only: never dry-run, never reported on.
import { KubeObject, groupVersion } from "./manifest";

/** Label ECK sets on every pod of a resource of this kind, naming the resource. */
const ECK_NAME_LABEL: Record<string, { type: string; label: string }> = {
    "elasticsearch.k8s.elastic.co/Elasticsearch": {
        type: "elasticsearch",
        label: "elasticsearch.k8s.elastic.co/cluster-name",
    },
    "kibana.k8s.elastic.co/Kibana": { type: "kibana", label: "kibana.k8s.elastic.co/name" },
    "beat.k8s.elastic.co/Beat": { type: "beat", label: "beat.k8s.elastic.co/name" },
    "agent.k8s.elastic.co/Agent": { type: "agent", label: "agent.k8s.elastic.co/name" },
    "logstash.k8s.elastic.co/Logstash": { type: "logstash", label: "logstash.k8s.elastic.co/name" },
    "apm.k8s.elastic.co/ApmServer": { type: "apm-server", label: "apm.k8s.elastic.co/name" },
};

function podTemplates(kind: string, spec: any): { suffix: string; labels: Record<string, string> }[] {
    const labelsOf = (t: any) => (t?.metadata?.labels ?? {}) as Record<string, string>;
    switch (kind) {
        case "Elasticsearch":
            return (spec?.nodeSets ?? []).map((ns: any) => ({
                suffix: `es-${ns.name}`,
                labels: labelsOf(ns.podTemplate),
            }));
        case "Beat":
        case "Agent":
            return [
                {
                    suffix: kind.toLowerCase(),
                    labels: labelsOf(spec?.daemonSet?.podTemplate ?? spec?.deployment?.podTemplate ?? spec?.statefulSet?.podTemplate),
                },
            ];
        default:
            return [{ suffix: kind.toLowerCase(), labels: labelsOf(spec?.podTemplate) }];
    }
}

export function operatorPodStandIns(objects: KubeObject[]): KubeObject[] {
    const pods: KubeObject[] = [];
    for (const o of objects) {
        const eck = ECK_NAME_LABEL[`${groupVersion(o.apiVersion).group}/${o.kind}`];
        if (!eck) continue;
        for (const t of podTemplates(o.kind, o.spec)) {
            const labels: Record<string, string> = {
                ...t.labels,
                "common.k8s.elastic.co/type": eck.type,
                [eck.label]: o.metadata.name!,
            };
            if (o.kind === "Elasticsearch") labels["elasticsearch.k8s.elastic.co/statefulset-name"] = `${o.metadata.name}-${t.suffix}`;
            pods.push({
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: `stand-in-${o.metadata.name}-${t.suffix}`, namespace: o.metadata.namespace, labels },
                spec: { containers: [{ name: eck.type, image: "stand-in.invalid/eck-managed:0" }] },
            });
        }
    }
    return pods;
}
