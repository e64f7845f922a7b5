// The security baseline: every rule, and the function that runs them over a list of resources.
// policy/index.ts turns these rules into a mandatory PolicyPack; tools/policy-check.ts runs them
// over synth output. Both use the same code, so CI and `pulumi preview` agree.
import {
    SHARED_NAMESPACES,
    namespaceDefaultDeny,
    namespaceNetworkPolicy,
    namespaceNetworkPolicyRule,
    networkPolicyPeers,
} from "./network-policy";
import { containerProbes, containerResources, imagePinned } from "./containers";
import { podSecurityRestricted, readOnlyRootFilesystem } from "./pod-security";
import { s3Encryption, s3Lifecycle, s3PublicAccessBlock, s3TlsOnly, s3Versioning } from "./s3";
import { PolicyResource, Rule, Violation } from "./types";

export const BASELINE: Rule[] = [
    podSecurityRestricted,
    readOnlyRootFilesystem,
    containerResources,
    imagePinned,
    containerProbes,
    namespaceNetworkPolicy,
    namespaceDefaultDeny,
    networkPolicyPeers,
    s3PublicAccessBlock,
    s3Encryption,
    s3Versioning,
    s3Lifecycle,
    s3TlsOnly,
];

/**
 * The baseline for checking one stack while the project's other stacks are known too (offline,
 * after rendering all four): NetworkPolicies another stack creates in a shared namespace are
 * checked, not trusted.
 */
export function baselineAcrossStacks(otherStacks: PolicyResource[]): Rule[] {
    const strict = namespaceNetworkPolicyRule({ sharedNamespaces: SHARED_NAMESPACES, otherStacks });
    return BASELINE.map((r) => (r === namespaceNetworkPolicy ? strict : r));
}

/** Runs `rules` over the resources and returns every violation, in rule order. */
export function checkResources(resources: PolicyResource[], rules: Rule[] = BASELINE): Violation[] {
    const out: Violation[] = [];
    for (const rule of rules) {
        if (rule.kind === "resource") {
            for (const r of resources) {
                for (const message of rule.validate(r))
                    out.push({ policy: rule.name, resourceType: r.type, resourceName: r.name, urn: r.urn, message });
            }
        } else {
            for (const v of rule.validate(resources)) {
                out.push({
                    policy: rule.name,
                    resourceType: v.resource.type,
                    resourceName: v.resource.name,
                    urn: v.resource.urn,
                    message: v.message,
                });
            }
        }
    }
    return out;
}

/** One line per violation: `[policy] type name: message`. */
export function formatViolation(v: Violation): string {
    return `[${v.policy}] ${v.resourceType} ${v.resourceName}: ${v.message}`;
}
