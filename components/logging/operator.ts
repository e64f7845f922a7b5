// Helm values of the eck-operator chart: the operator watches only the logging namespaces and its
// pod meets the restricted Pod Security level (the chart's defaults lack seccomp and drop-ALL).

export function eckOperatorValues(managedNamespaces: string[]): Record<string, unknown> {
    return {
        // The CRDs are Pulumi resources of their own, upgraded with the chart pin (components/shared/crds.ts).
        installCRDs: false,
        replicaCount: 1,
        // Only these namespaces get the operator's namespaced roles and are reconciled.
        managedNamespaces,
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
        resources: { requests: { cpu: "100m", memory: "150Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        // No usage reports leave the cluster.
        telemetry: { disabled: true },
        config: {
            // The operator puts its restricted-compatible security context on the containers it adds.
            setDefaultSecurityContext: true,
            logVerbosity: "0",
        },
        webhook: { enabled: true, manageCerts: true, failurePolicy: "Ignore" },
    };
}
