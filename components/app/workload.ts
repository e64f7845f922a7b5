// Pure builders for the kline-analytics pod template and Deployment spec. Plain data, so tests
// and the policy pack can check them without Pulumi.
import * as k8s from "@pulumi/kubernetes";
import { AppConfig } from "../../config/types";
import { APP_NAME, trackPods } from "../../contract/names";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../contract/security";
import { PRE_STOP_SLEEP_SECONDS, TERMINATION_GRACE_SECONDS } from "./appconfig";

type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;

export const CONFIG_MOUNT = "/etc/kline-analytics";
/**
 * Node-local disk the container may use: the /tmp emptyDir (sizeLimit 256Mi) plus its
 * kubelet-rotated logs; the root filesystem is read-only. The request lets the scheduler count it,
 * the limit evicts a runaway pod instead of filling the node (kube-score requires both).
 */
export const EPHEMERAL_STORAGE = { request: "256Mi", limit: "512Mi" };

/** JVM flags passed through JAVA_TOOL_OPTIONS (read by every JVM, whatever the image's entrypoint). */
export function javaToolOptions(app: AppConfig): string {
    return [
        `-Xms${app.javaHeap}`,
        `-Xmx${app.javaHeap}`,
        `-XX:MaxMetaspaceSize=${app.jvm.maxMetaspace}`,
        `-XX:MaxDirectMemorySize=${app.jvm.maxDirectMemory}`,
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseContainerSupport",
        "-Djava.io.tmpdir=/tmp",
        "-Dfile.encoding=UTF-8",
    ].join(" ");
}

/**
 * Scheduling constraints count only pods of the same revision (the ReplicaSet's pod-template-hash).
 * The rollout never drops below the desired count (maxUnavailable 0), so its surge pod must be able
 * to land next to an old pod: counted against old pods, required anti-affinity would need a spare
 * node (3 replicas on 3 nodes: the surge pod stays Pending and the rollout never finishes) and the
 * zone spread could be skewed by pods that are about to go.
 */
export const PER_REVISION = ["pod-template-hash"];

function affinity(app: AppConfig): k8s.types.input.core.v1.Affinity | undefined {
    const term = {
        labelSelector: { matchLabels: trackPods(app.track) },
        matchLabelKeys: PER_REVISION,
        topologyKey: "kubernetes.io/hostname",
    };
    switch (app.antiAffinity) {
        case "none":
            return undefined;
        case "preferred":
            return { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
        case "required":
            return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
    }
}

export interface PodTemplateArgs {
    app: AppConfig;
    environment: string;
    labels: Record<string, string>;
    serviceAccountName: string;
    configMapName: string;
    /** SHA-256 of the ConfigMap data: a config change changes the template and rolls the pods. */
    configChecksum: string;
    dbSecretName: string;
}

export function buildPodTemplate(a: PodTemplateArgs): PodTemplate {
    const { app } = a;
    const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
    const httpGet = (path: string) => ({ path, port: "management", scheme: "HTTP" });
    return {
        metadata: {
            labels: { ...a.labels, ...trackPods(app.track), "app.kubernetes.io/version": app.version },
            annotations: {
                "checksum/config": a.configChecksum,
                "kubectl.kubernetes.io/default-container": APP_NAME,
            },
        },
        spec: {
            serviceAccountName: a.serviceAccountName,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
            securityContext: restrictedPodSecurityContext(),
            affinity: affinity(app),
            topologySpreadConstraints: app.zoneSpread
                ? [
                      {
                          maxSkew: 1,
                          topologyKey: "topology.kubernetes.io/zone",
                          whenUnsatisfiable: "DoNotSchedule",
                          labelSelector: { matchLabels: trackPods(app.track) },
                          matchLabelKeys: PER_REVISION,
                      },
                  ]
                : undefined,
            containers: [
                {
                    name: APP_NAME,
                    image: app.image,
                    imagePullPolicy: "IfNotPresent",
                    ports: [
                        { name: "http", containerPort: app.httpPort, protocol: "TCP" },
                        { name: "management", containerPort: app.managementPort, protocol: "TCP" },
                    ],
                    env: [
                        { name: "JAVA_TOOL_OPTIONS", value: javaToolOptions(app) },
                        { name: "SPRING_CONFIG_ADDITIONAL_LOCATION", value: `file:${CONFIG_MOUNT}/` },
                        { name: "SPRING_DATASOURCE_PASSWORD", valueFrom: { secretKeyRef: { name: a.dbSecretName, key: "password" } } },
                        { name: "SERVICE_VERSION", value: app.version },
                        { name: "ENVIRONMENT", value: a.environment },
                        { name: "TRACK", value: app.track },
                        { name: "POD_NAME", ...fieldRef("metadata.name") },
                        { name: "POD_NAMESPACE", ...fieldRef("metadata.namespace") },
                    ],
                    resources: {
                        requests: {
                            cpu: app.resources.requests.cpu,
                            memory: app.resources.requests.memory,
                            "ephemeral-storage": EPHEMERAL_STORAGE.request,
                        },
                        limits: {
                            cpu: app.resources.limits.cpu,
                            memory: app.resources.limits.memory,
                            "ephemeral-storage": EPHEMERAL_STORAGE.limit,
                        },
                    },
                    // Startup: up to 5 minutes for the JVM (a 250m CPU limit in development starts slowly);
                    // liveness and readiness only begin once startup has succeeded.
                    startupProbe: {
                        httpGet: httpGet("/actuator/health/liveness"),
                        periodSeconds: 10,
                        timeoutSeconds: 3,
                        failureThreshold: 30,
                    },
                    livenessProbe: {
                        httpGet: httpGet("/actuator/health/liveness"),
                        periodSeconds: 10,
                        timeoutSeconds: 3,
                        failureThreshold: 3,
                    },
                    readinessProbe: {
                        httpGet: httpGet("/actuator/health/readiness"),
                        periodSeconds: 5,
                        timeoutSeconds: 3,
                        failureThreshold: 3,
                    },
                    // The sleep action needs no shell in the image; it gives endpoints and the ingress
                    // controller time to stop routing here before Spring starts its graceful shutdown.
                    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
                    securityContext: restrictedContainerSecurityContext(),
                    volumeMounts: [
                        { name: "config", mountPath: CONFIG_MOUNT, readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                    ],
                },
            ],
            volumes: [
                { name: "config", configMap: { name: a.configMapName } },
                // The root filesystem is read-only; the JVM writes temp files, perf data and
                // Tomcat's work directory under /tmp.
                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
            ],
        },
    };
}

export function buildDeploymentSpec(a: PodTemplateArgs): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas: a.app.replicas,
        revisionHistoryLimit: 5,
        minReadySeconds: 10,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: trackPods(a.app.track) },
        // Never below the desired count during a rollout: add one new pod, then retire an old one.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: buildPodTemplate(a),
    };
}
