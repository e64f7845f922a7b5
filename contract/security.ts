// The security contexts every pod this program runs gets: Pod Security Standards "restricted".
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
// (The namespace labels that enforce that level are in components/shared/security.ts.)
import type * as k8s from "@pulumi/kubernetes";

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
