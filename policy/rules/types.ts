// The shapes the baseline rules work on. Deliberately free of @pulumi/policy: importing a module
// that constructs a PolicyPack starts a gRPC server, so only policy/index.ts touches that package
// and everything here stays plain data and plain functions that tests and tools can call.

/** One resource as a rule sees it: the engine's view (policy/engine.ts) or a synth record. */
export interface PolicyResource {
    /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`, `aws:s3/bucket:Bucket`. */
    type: string;
    /** Logical (Pulumi) name. */
    name: string;
    /** Present when the engine runs the pack. */
    urn?: string;
    /** Resource inputs as the provider receives them. */
    props: Record<string, any>;
    /**
     * For each property, the URNs of the resources it was computed from (the engine knows these
     * even while the values themselves are unknown during a preview).
     */
    propertyDependencies?: Record<string, string[]>;
    /** Values other resources use to refer to this one (its id, ARN), when known. */
    ids?: string[];
}

/** A rule that judges one resource at a time. Returns one message per violation. */
export interface ResourceRule {
    kind: "resource";
    name: string;
    description: string;
    validate(resource: PolicyResource): string[];
}

export interface StackViolation {
    resource: PolicyResource;
    message: string;
}

/** A rule that needs the whole stack (relations between resources). */
export interface StackRule {
    kind: "stack";
    name: string;
    description: string;
    validate(resources: PolicyResource[]): StackViolation[];
}

export type Rule = ResourceRule | StackRule;

/** A violation with the policy that found it and the resource it is about. */
export interface Violation {
    policy: string;
    resourceType: string;
    resourceName: string;
    urn?: string;
    message: string;
}
