// kube-score and trivy (the kube-linter stand-in), built from their pinned Go modules, over the
// good and broken fixtures; and the one policy file that switches checks off.
import { strict as assert } from "assert";
import { LintFinding, runKubeScore } from "../../tools/verify/kubescore";
import { operatorPodStandIns } from "../../tools/verify/operator-pods";
import { LintPolicy, loadPolicy, parsePolicy } from "../../tools/verify/policy";
import { normaliseCheckId, runTrivy } from "../../tools/verify/trivy";
import { broken, brokenParsable, good, named } from "./fixtures";

// No check switched off; the fixtures' images come from ghcr.io, named as trusted like our policy does.
const NO_EXEMPTIONS: LintPolicy = {
    kubeScore: { kubernetesVersion: "v1.36", ignore: [] },
    trivy: { ignore: [], trustedRegistries: ["ghcr.io"] },
};
const gating = (findings: LintFinding[]) => findings.filter((f) => f.gating).map((f) => `${f.object} ${f.check}`);
const checksOn = (findings: LintFinding[], object: string) => findings.filter((f) => f.object === object).map((f) => f.check);

describe("verify: kube-score", function () {
    this.timeout(60_000);

    it("finds nothing critical in the good sample, with no check switched off", () => {
        assert.deepEqual(gating(runKubeScore(good(), NO_EXEMPTIONS)), []);
    });

    it("flags the privileged container and the missing limits as CRITICAL", () => {
        const findings = runKubeScore(brokenParsable(), NO_EXEMPTIONS);
        const critical = gating(findings);
        assert.ok(
            critical.includes("Deployment kline-verify-broken/privileged container-security-context-privileged"),
            critical.join("\n"),
        );
        assert.ok(critical.includes("Deployment kline-verify-broken/no-limits container-resources"), critical.join("\n"));
        const limits = findings.find((f) => f.object === "Deployment kline-verify-broken/no-limits" && f.check === "container-resources")!;
        assert.match(limits.message, /CPU limit is not set/);
        assert.match(limits.message, /Memory limit is not set/);
    });

    it("fails loudly on a manifest it cannot parse (wrong type) instead of scoring nothing", () => {
        assert.throws(() => runKubeScore(broken(), NO_EXEMPTIONS), /kube-score could not score the manifest: .*replicas/s);
    });

    it("honours the policy file: a listed check is off, scoped entries only for their objects", () => {
        const policy = parsePolicy(`
kube-score:
  kubernetesVersion: v1.36
  ignore:
    - id: container-resources
      reason: switched off here to prove the policy file reaches kube-score
    - id: container-security-context-privileged
      objects: ["Deployment kline-verify-broken/some-other-object"]
      reason: scoped to another object, so the privileged finding must stay
`);
        const findings = runKubeScore(brokenParsable(), policy);
        assert.ok(!checksOn(findings, "Deployment kline-verify-broken/no-limits").includes("container-resources"));
        assert.ok(checksOn(findings, "Deployment kline-verify-broken/privileged").includes("container-security-context-privileged"));
    });

    it("matches NetworkPolicies against stand-ins for the pods ECK creates from custom resources", () => {
        const es = {
            apiVersion: "elasticsearch.k8s.elastic.co/v1",
            kind: "Elasticsearch",
            metadata: { name: "logs", namespace: "logging" },
            spec: { nodeSets: [{ name: "default", count: 1 }] },
        };
        const policy = (label: string) => ({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: label.replace(/[^a-z]/g, ""), namespace: "logging" },
            spec: { podSelector: { matchLabels: { [label]: "logs" } }, policyTypes: ["Ingress"] },
        });
        const right = policy("elasticsearch.k8s.elastic.co/cluster-name");
        const typo = policy("elasticsearch.k8s.elastic.co/cluster");
        const findings = runKubeScore([es, right, typo, ...operatorPodStandIns([es])], NO_EXEMPTIONS);
        assert.deepEqual(
            gating(findings).filter((f) => f.includes("networkpolicy-targets-pod")),
            [`NetworkPolicy logging/${typo.metadata.name} networkpolicy-targets-pod`],
        );
    });
});

describe("verify: trivy Kubernetes checks (kube-linter stand-in)", function () {
    this.timeout(60_000);
    // trivy takes seconds to start; one run covers the good and the broken objects (findings are per object).
    let findings: LintFinding[];
    before(() => {
        findings = runTrivy([...good(), ...brokenParsable()], NO_EXEMPTIONS);
    });
    const ids = (list: LintFinding[], object: string) => checksOn(list, object).map((c) => normaliseCheckId(c.split(" ")[0]));

    it("finds nothing in the good sample, with no check switched off", () => {
        assert.deepEqual(
            findings.filter((f) => f.object.includes("kline-verify-good")),
            [],
        );
    });

    it("flags the privileged container and the missing limits, all as errors", () => {
        assert.ok(
            ids(findings, "Deployment kline-verify-broken/privileged").includes("KSV017"),
            findings.map((f) => `${f.object} ${f.check}`).join("\n"),
        );
        const noLimits = ids(findings, "Deployment kline-verify-broken/no-limits");
        assert.ok(noLimits.includes("KSV011") && noLimits.includes("KSV018"), noLimits.join(" "));
        assert.ok(findings.every((f) => f.gating));
    });

    it("honours the policy file: switched-off ids written either way, and the trusted registries for KSV-0125", () => {
        assert.equal(normaliseCheckId("KSV-0017"), "KSV017");
        assert.equal(normaliseCheckId("AVD-KSV-0017"), "KSV017");
        // No trusted registries given: trivy's default list (cloud registries) flags ghcr.io.
        const policy = parsePolicy(
            "kube-score: { kubernetesVersion: v1.36 }\ntrivy:\n  ignore:\n    - id: KSV-0017\n      reason: switched off here to prove the policy file reaches trivy\n",
        );
        const withPolicy = runTrivy(
            [named(good(), "Deployment kline-verify-good/kline-analytics"), named(broken(), "Deployment kline-verify-broken/privileged")],
            policy,
        );
        assert.ok(!ids(withPolicy, "Deployment kline-verify-broken/privileged").includes("KSV017"));
        assert.deepEqual(ids(withPolicy, "Deployment kline-verify-good/kline-analytics"), ["KSV125"]);
    });
});

describe("verify: lint policy file", () => {
    it("loads tools/verify/lint-policy.yaml and every switched-off check has a reason", () => {
        const policy = loadPolicy();
        for (const c of [...policy.kubeScore.ignore, ...policy.trivy.ignore]) assert.ok(c.reason.length >= 20, c.id);
    });

    it("refuses an entry without a reason, naming the check", () => {
        assert.throws(
            () => parsePolicy("kube-score:\n  kubernetesVersion: v1.36\n  ignore:\n    - id: pod-probes\n"),
            /ignore\[0\] \(pod-probes\) needs a reason/,
        );
    });
});
