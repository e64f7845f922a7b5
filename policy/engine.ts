// Turns what the Pulumi engine hands a policy (ResourceValidationArgs / PolicyResource) into the
// plain PolicyResource the rules take. Structural types only: no @pulumi/policy import here.
import { PolicyResource } from "./rules/types";

export interface EngineResourceLike {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    propertyDependencies?: Record<string, { urn: string }[]>;
}

/** Reads a string property, treating a value still unknown during preview as absent. */
function knownString(props: Record<string, any>, key: string): string | undefined {
    try {
        const v = props[key];
        return typeof v === "string" ? v : undefined;
    } catch {
        // The engine's props proxy throws on values that are unknown until the update runs.
        return undefined;
    }
}

/**
 * Props are passed through untouched (not copied): a rule that reads a value still unknown
 * during preview throws, and the engine reports that one policy as "can't run during preview"
 * and runs it again during the update, when the value is known.
 */
export function fromEngine(r: EngineResourceLike): PolicyResource {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) propertyDependencies[key] = deps.map((d) => d.urn);
    const ids = ["bucket", "arn"].map((k) => knownString(r.props, k)).filter((v): v is string => v !== undefined);
    return { type: r.type, name: r.name, urn: r.urn, props: r.props, propertyDependencies, ids };
}
