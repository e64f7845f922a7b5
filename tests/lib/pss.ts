// Pod Security Standards "restricted" for a bare pod spec, judged by the policy pack's own rule
// (policy/rules/pod-security.ts, tested with good and bad fixtures in tests/policy/rules.test.ts),
// so the tests and the pack cannot disagree. Returns the violations; empty means the pod passes.
import { podSecurityRestricted } from "../../policy/rules/pod-security";

export function restrictedViolations(spec: any): string[] {
    if (!spec) return ["no pod spec"];
    const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    if (containers.length === 0) return ["no containers"];
    return podSecurityRestricted.validate({ type: "kubernetes:core/v1:Pod", name: "pod", props: { metadata: {}, spec } }) as string[];
}
