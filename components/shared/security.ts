// Pod Security Standards "restricted" building blocks shared by every workload this program runs.
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
import * as k8s from "@pulumi/kubernetes";

/** The PSS version the namespaces pin, so a cluster upgrade cannot silently change the rules. */
// renovate: datasource=github-releases depName=kubernetes/kubernetes versioning=loose extractVersion=^(?<version>v\d+\.\d+)\.\d+$
export const POD_SECURITY_VERSION = "v1.33";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * Namespace labels that enforce one Pod Security level and audit and warn at `report` (by default the
 * same level). A namespace that must enforce `privileged` for host access reports at `baseline`, so
 * whatever takes a pod past baseline is still recorded.
 */
export function podSecurityLabels(level: PodSecurityLevel, report: PodSecurityLevel = level): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const [mode, value] of [
        ["enforce", level],
        ["audit", report],
        ["warn", report],
    ]) {
        labels[`pod-security.kubernetes.io/${mode}`] = value;
        labels[`pod-security.kubernetes.io/${mode}-version`] = POD_SECURITY_VERSION;
    }
    return labels;
}

/** Pod-level context: a fixed non-root user, group-owned volumes, the runtime's seccomp profile. */
export function restrictedPodSecurityContext(uid = 10001): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level context: no privilege escalation, no capabilities, read-only root filesystem. */
export function restrictedContainerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}
