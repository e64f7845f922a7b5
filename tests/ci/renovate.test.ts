// renovate.json knows every pin: tools/renovate-coverage.ts scans the repository for pinned
// versions on its own (set-up scripts, config, stack files, Dockerfiles, workflows, package.json,
// go.mod) and applies renovate.json's managers to the same files; every pin must be extracted at
// its line with its version. The negative cases prove a new pin without a rule fails.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { coverage, Dep, extractDeps, Files, groupOf, readRepo, RenovateConfig } from "../../tools/renovate-coverage";

const REPO = path.resolve(__dirname, "..", "..");
const config: RenovateConfig = JSON.parse(fs.readFileSync(path.join(REPO, "renovate.json"), "utf8"));
const repo = readRepo(REPO);

/** The repository's files with one file changed (or added). */
function withFile(file: string, edit: (text: string) => string): Files {
    const copy = new Map(repo);
    copy.set(file, edit(copy.get(file) ?? ""));
    return copy;
}
const show = (pins: { file: string; line: number; name: string; version: string }[]) =>
    pins.map((p) => `${p.file}:${p.line} ${p.name} ${p.version}`).join("\n");

describe("delivery: Renovate knows every pinned version", () => {
    const result = coverage(repo, config);

    it("the scan finds the pins of every kind: set-up scripts, charts, images, stack images, Dockerfile, actions, tool inputs, npm, go.mod", () => {
        const has = (file: string, name: string, version: string) =>
            assert.ok(
                result.pins.some((p) => p.file === file && p.name === name && p.version === version),
                `${file}: ${name} ${version} not found by the scan`,
            );
        has(".ci/setup/30-kube-tools.sh", "KUBE_SCORE_VERSION", "v1.20.0");
        has(".ci/setup/50-engine-tools.sh", "KUBERNETES_PROVIDER_MODULE", "v4.0.0-20260115033456-f47bc2d6f199");
        has("config/monitoring.ts", "version", "88.5.3");
        has("config/logging.ts", "version", "3.5.0");
        has("config/logging.ts", "DEFAULT_STACK_VERSION", "8.19.8");
        has("config/pitr.ts", "ghcr.io/stocksanalyses/kline-postgres", "15.10-2.45");
        has("images/postgres/Dockerfile", "PGBACKREST_VERSION", "2.45-1");
        has("Pulumi.yaml", "ghcr.io/stocksanalyses/kline-backup", "16.6-node22.12.0-1");
        has("Pulumi.production.yaml", "ghcr.io/stocksanalyses/kline-analytics", "1.4.2");
        has("images/backup/Dockerfile", "postgres", "16.6-bookworm");
        has("images/backup/Dockerfile", "node", "22.12.0-bookworm-slim");
        has("components/backup/logical/package.json", "@aws-sdk/client-s3", "3.1175.0");
        has(".github/workflows/checks.yml", "actions/checkout", "v4.2.2");
        has(".github/workflows/checks.yml", "debian", "12.11");
        has(".github/workflows/pull-request.yml", "pulumi-version", "3.248.0");
        has("package.json", "typescript", "5.9.3");
        has("policy/package.json", "@pulumi/policy", "1.21.0");
        has(".ci/setup/pulumi-build/go.mod", "github.com/pulumi/pulumi/pkg/v3", "v3.248.0");
        has(".ci/setup/kube-apiserver-build/go.mod", "k8s.io/client-go", "v0.36.3");
        has("tests/e2e/stand-ins/go.mod", "google.golang.org/grpc", "v1.80.0");
        console.log(`      ${result.pins.length} pins in ${new Set(result.pins.map((p) => p.file)).size} files`);
    });

    it("every pin is matched by a Renovate manager at its line, with its version", () => {
        assert.equal(show(result.uncovered), "", "pins without a Renovate rule");
    });

    it("a new Go tool pinned in .ci/setup without a `# renovate:` comment fails the check, and passes with one", () => {
        const script = '#!/usr/bin/env bash\nset -euo pipefail\nKUBECONFORM_VERSION="v0.7.0"\n';
        const without = coverage(
            withFile(".ci/setup/60-kubeconform.sh", () => script),
            config,
        );
        assert.equal(show(without.uncovered), ".ci/setup/60-kubeconform.sh:3 KUBECONFORM_VERSION v0.7.0");
        const commented = script.replace("KUBECONFORM", "# renovate: datasource=go depName=github.com/yannh/kubeconform\nKUBECONFORM");
        const withRule = coverage(
            withFile(".ci/setup/60-kubeconform.sh", () => commented),
            config,
        );
        assert.equal(show(withRule.uncovered), "");
        const dep = withRule.deps.find((d) => d.file === ".ci/setup/60-kubeconform.sh")!;
        assert.deepEqual([dep.datasource, dep.depName, dep.currentValue], ["go", "github.com/yannh/kubeconform", "v0.7.0"]);
    });

    it("a pin whose comment is removed, a new chart or image in config, and a tool version in a workflow's environment fail the check", () => {
        const cases: [string, (t: string) => string, string][] = [
            [
                ".ci/setup/40-actionlint.sh",
                (t) => t.replace("# renovate: datasource=go depName=github.com/rhysd/actionlint\n", ""),
                "ACTIONLINT_VERSION v1.7.12",
            ],
            [
                "config/monitoring.ts",
                (t) => `${t}\nexport const CERT_MANAGER_CHART = {\n    name: "cert-manager",\n    version: "1.19.1",\n};\n`,
                "version 1.19.1",
            ],
            [
                "config/backup.ts",
                (t) => `${t}\nexport const SIDECAR_IMAGE = "docker.io/library/busybox:1.37.0";\n`,
                "docker.io/library/busybox 1.37.0",
            ],
            [
                ".github/workflows/checks.yml",
                (t) => t.replace("    env:\n      DEBIAN_FRONTEND", "    env:\n      HELM_VERSION: v3.19.0\n      DEBIAN_FRONTEND"),
                "HELM_VERSION v3.19.0",
            ],
        ];
        for (const [file, edit, expected] of cases) {
            const r = coverage(withFile(file, edit), config);
            assert.equal(r.uncovered.length, 1, `${file}: ${show(r.uncovered)}`);
            assert.equal(`${r.uncovered[0].name} ${r.uncovered[0].version}`, expected, file);
        }
    });

    it("a package added to package.json is covered by the npm manager without more configuration", () => {
        const r = coverage(
            withFile("package.json", (t) => t.replace('"yaml": "2.9.1"', '"yaml": "2.9.1",\n    "zod": "4.1.12"')),
            config,
        );
        assert.equal(show(r.uncovered), "");
        assert.ok(r.deps.some((d) => d.manager === "npm" && d.depName === "zod" && d.currentValue === "4.1.12"));
    });

    it("every extracted dependency names a datasource Renovate can look it up in", () => {
        const known = ["npm", "go", "docker", "helm", "github-tags", "github-releases", "github-runners", "golang-version", "deb"];
        for (const d of result.deps)
            assert.ok(d.datasource && known.includes(d.datasource), `${d.file}:${d.line} ${d.depName}: datasource ${d.datasource}`);
    });

    it("groups what must move together: the Pulumi engine (50-engine-tools.sh refuses mismatched pins), the Kubernetes tools, the charts with their CRD schemas", () => {
        const rules = config.packageRules ?? [];
        const groupsOf = (pred: (d: Dep) => boolean) => {
            const found = result.deps.filter(pred);
            assert.ok(found.length > 0);
            return [...new Set(found.map((d) => groupOf(d, rules)))];
        };
        const at = (file: string, value: string) => (d: Dep) => d.file === file && d.currentValue === value;
        // SDK, CLI and provider, wherever they are pinned
        for (const pred of [
            (d: Dep) => d.manager === "npm" && ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/policy"].includes(d.depName),
            at(".ci/setup/50-engine-tools.sh", "v3.248.0"),
            at(".ci/setup/50-engine-tools.sh", "4.25.0"),
            at(".ci/setup/50-engine-tools.sh", "v4.0.0-20260115033456-f47bc2d6f199"),
            (d: Dep) => d.depName === "pulumi" && d.depType === "uses-with",
            at(".ci/setup/pulumi-build/go.mod", "v3.248.0"),
            at(".ci/setup/kubernetes-provider-build/go.mod", "v4.0.0-20260115033456-f47bc2d6f199"),
            at("tests/e2e/stand-ins/go.mod", "v3.248.0"),
        ]) {
            assert.deepEqual(groupsOf(pred), ["pulumi engine"]);
        }
        for (const pred of [
            at(".ci/setup/30-kube-tools.sh", "v1.36.3"),
            at(".ci/setup/31-kube-schemas.sh", "v1.36.3"),
            at("tools/verify/sources.ts", "v1.36.3"),
            (d: Dep) => d.file === ".ci/setup/kube-apiserver-build/go.mod" && d.depName.startsWith("k8s.io/"),
            (d: Dep) => ["go.etcd.io/etcd/server/v3", "github.com/zegl/kube-score", "sigs.k8s.io/kwok"].includes(d.depName),
        ]) {
            assert.deepEqual(groupsOf(pred), ["kubernetes tools"]);
        }
        assert.deepEqual(
            groupsOf((d) => ["kube-prometheus-stack", "github.com/prometheus-operator/prometheus-operator"].includes(d.depName)),
            ["monitoring charts"],
        );
        assert.deepEqual(
            groupsOf((d) => ["eck-operator", "github.com/elastic/cloud-on-k8s/v3"].includes(d.depName)),
            ["eck operator"],
        );
        assert.deepEqual(
            groupsOf((d) => d.depName === "ghcr.io/stocksanalyses/kline-analytics"),
            ["kline-analytics release"],
        );
    });

    it("the application image and the Pod Security version wait for approval; indirect Go requirements and PostgreSQL majors are not proposed", () => {
        const rules = config.packageRules ?? [];
        const approval = (name: string) =>
            rules.some((r) => r.matchPackageNames?.includes(name) && (r as any).dependencyDashboardApproval === true);
        assert.ok(approval("ghcr.io/stocksanalyses/kline-analytics"));
        assert.ok(approval("kubernetes/kubernetes"));
        assert.ok(
            extractDeps(repo, config).every((d) => d.depType !== "indirect"),
            "indirect go.mod requirements are disabled",
        );
        const pgMajor = rules.find((r) => r.matchPackageNames?.includes("postgres") && r.matchUpdateTypes?.includes("major"));
        assert.equal(pgMajor?.enabled, false);
    });

    it("the configuration is read whole by the checker: no presets, regex file patterns, only modelled managers", () => {
        assert.equal(config.extends, undefined);
        assert.deepEqual([...(config.enabledManagers ?? [])].sort(), ["custom.regex", "dockerfile", "github-actions", "gomod", "npm"]);
        assert.throws(() => extractDeps(repo, { ...config, enabledManagers: ["npm", "helm-values"] }), /helm-values/);
        assert.throws(() => extractDeps(repo, { ...config, extends: ["config:recommended"] }), /presets are not read/);
    });
});
