// Namespace labels that enforce a Pod Security Standards level (the pods' security contexts are in
// contract/security.ts).
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted

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
