// The log shipper: a Filebeat `Beat` (beat.k8s.elastic.co/v1beta1) run as a DaemonSet. It reads
// only the container log files of the application namespaces, decodes each JSON line into fields,
// adds Kubernetes metadata, and writes to the environment's data stream (the canary track's pods
// to the canary stream). It installs no template or ILM policy of its own: the installer does.
//
// Why its namespace is `privileged`: the container logs are files on the node (/var/log/containers
// and the /var/log/pods files they link to) and Filebeat keeps its read offsets on the node too
// (the operator mounts a hostPath for them). hostPath volumes are forbidden by both `baseline` and
// `restricted`, so the namespace needs `privileged`; the pod itself still drops every capability,
// mounts the log folders read-only, and cannot escalate. It runs as uid 0 because the log files
// are root's (mode 0640). Nothing else runs in that namespace.
import { dataStreamName } from "./names";

export const FILEBEAT_NAME = "filebeat";
export const CONTAINER_LOG_DIR = "/var/log/containers";
export const POD_LOG_DIR = "/var/log/pods";

export function filebeatPodLabels(beatName = FILEBEAT_NAME): Record<string, string> {
    return { "beat.k8s.elastic.co/name": beatName };
}

export interface FilebeatSpec {
    /** Namespaces whose container logs are collected; nothing else is read. */
    appNamespaces: string[];
    /** Environment whose data stream receives the logs. */
    environment: string;
    /** Pod label value routing to another stream: track=canary -> the canary's stream. */
    trackStreams: Record<string, string>;
}

/** Glob of one namespace's container log files (kubelet names them <pod>_<namespace>_<container>-<id>.log). */
export function containerLogGlob(namespace: string): string {
    return `${CONTAINER_LOG_DIR}/*_${namespace}_*.log`;
}

export function buildFilebeatConfig(spec: FilebeatSpec): Record<string, unknown> {
    if (spec.appNamespaces.length === 0) throw new Error("logging: Filebeat needs at least one application namespace to collect");
    const index = dataStreamName(spec.environment);
    return {
        "filebeat.inputs": [
            {
                type: "filestream",
                id: "kline-analytics-containers",
                paths: spec.appNamespaces.map(containerLogGlob),
                "prospector.scanner.symlinks": true,
                // CRI or docker log format -> the raw line in `message`, plus `stream`.
                parsers: [{ container: { stream: "all", format: "auto" } }],
            },
        ],
        processors: [
            {
                // Watches pods in the application namespaces only; no node or namespace lookups, so
                // a namespaced Role in each application namespace is all the access it needs.
                add_kubernetes_metadata: {
                    host: "${NODE_NAME}",
                    ...(spec.appNamespaces.length === 1 ? { namespace: spec.appNamespaces[0] } : {}),
                    matchers: [{ logs_path: { logs_path: `${CONTAINER_LOG_DIR}/` } }],
                    add_resource_metadata: { node: { enabled: false }, namespace: { enabled: false }, deployment: true },
                },
            },
            {
                // One JSON object per line (components/app/logback.ts): its fields go to the top
                // level, the app's `message` replacing the raw line. A line that is not JSON stays
                // as it is, with error.message saying why.
                decode_json_fields: { fields: ["message"], target: "", overwrite_keys: true, add_error_key: true, max_depth: 1 },
            },
        ],
        // Templates, ILM policies and the pipeline belong to the installer Job.
        "setup.template.enabled": false,
        "setup.ilm.enabled": false,
        "output.elasticsearch": {
            index,
            indices: Object.entries(spec.trackStreams).map(([track, environment]) => ({
                index: dataStreamName(environment),
                when: { equals: { "kubernetes.labels.track": track } },
            })),
        },
        "logging.level": "info",
        "monitoring.enabled": false,
    };
}

export interface BeatSpec extends FilebeatSpec {
    name: string;
    namespace: string;
    version: string;
    esName: string;
    esNamespace: string;
    serviceAccountName: string;
    labels: Record<string, string>;
}

export function buildBeat(spec: BeatSpec): Record<string, any> {
    return {
        apiVersion: "beat.k8s.elastic.co/v1beta1",
        kind: "Beat",
        metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
        spec: {
            type: "filebeat",
            version: spec.version,
            // Across namespaces: the operator creates Filebeat's user (write access to logs-*) and CA.
            elasticsearchRef: { name: spec.esName, namespace: spec.esNamespace },
            config: buildFilebeatConfig(spec),
            daemonSet: {
                podTemplate: {
                    metadata: { labels: spec.labels },
                    spec: {
                        serviceAccountName: spec.serviceAccountName,
                        automountServiceAccountToken: true,
                        terminationGracePeriodSeconds: 30,
                        securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [
                            {
                                name: "filebeat",
                                env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                                resources: { requests: { cpu: "100m", memory: "200Mi" }, limits: { cpu: "500m", memory: "200Mi" } },
                                securityContext: {
                                    runAsUser: 0,
                                    privileged: false,
                                    allowPrivilegeEscalation: false,
                                    readOnlyRootFilesystem: true,
                                    capabilities: { drop: ["ALL"] },
                                },
                                volumeMounts: [
                                    { name: "varlogcontainers", mountPath: CONTAINER_LOG_DIR, readOnly: true },
                                    { name: "varlogpods", mountPath: POD_LOG_DIR, readOnly: true },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "varlogcontainers", hostPath: { path: CONTAINER_LOG_DIR, type: "Directory" } },
                            { name: "varlogpods", hostPath: { path: POD_LOG_DIR, type: "Directory" } },
                        ],
                    },
                },
            },
        },
    };
}

/** What add_kubernetes_metadata reads, granted by a Role in each application namespace. */
export const FILEBEAT_ROLE_RULES = [
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
];
