// Where the verifiers find their tools and the published schemas, all pinned and put in place
// by .ci/setup/30-kube-tools.sh and 32-trivy.sh (binaries) and .ci/setup/31-kube-schemas.sh (schemas).
// Versions here must match those scripts.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { requireTool, toolsBinDir } from "../../tests/lib/tools";

// renovate: datasource=go depName=k8s.io/kubernetes
export const KUBERNETES_VERSION = "v1.36.3";
// renovate: datasource=go depName=github.com/prometheus-operator/prometheus-operator
export const PROMETHEUS_OPERATOR_VERSION = "v0.93.0"; // shipped by kube-prometheus-stack 88.x
// renovate: datasource=go depName=github.com/elastic/cloud-on-k8s/v3
export const ECK_VERSION = "v3.5.0"; // eck-operator chart 3.5.0

const toolsDir = path.dirname(toolsBinDir);
const SETUP_TOOLS = "bash .ci/setup/30-kube-tools.sh";
const SETUP_SCHEMAS = "bash .ci/setup/31-kube-schemas.sh";

export function schemaDir(name: string): string {
    const dir = path.join(toolsDir, "schemas", name);
    if (!fs.existsSync(path.join(dir, ".complete"))) {
        throw new Error(`schemas '${name}' are missing from ${dir}. Fetch them: ${SETUP_SCHEMAS}`);
    }
    return dir;
}

/** Built-in API schemas: OpenAPI v3 documents of the same release as our kube-apiserver. */
export function kubernetesOpenApiDir(): string {
    return schemaDir(`kubernetes-${KUBERNETES_VERSION}`);
}

/** CRD YAML files of every pinned operator, with the origin named for reports. */
export function crdSources(): { origin: string; files: string[] }[] {
    const list = (dir: string) =>
        fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".yaml"))
            .sort()
            .map((f) => path.join(dir, f));
    return [
        {
            origin: `github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION} example/prometheus-operator-crd`,
            files: list(schemaDir(`prometheus-operator-${PROMETHEUS_OPERATOR_VERSION}`)),
        },
        {
            origin: `github.com/elastic/cloud-on-k8s/v3@${ECK_VERSION} config/crds/v1/all-crds.yaml`,
            files: list(schemaDir(`eck-${ECK_VERSION}`)),
        },
    ];
}

export function tool(name: "kube-score" | "trivy" | "etcd" | "kube-apiserver"): string {
    return requireTool(name, name === "trivy" ? "bash .ci/setup/32-trivy.sh" : SETUP_TOOLS);
}

/** Runs one of the pinned tools and returns its standard output (a failed run throws execFileSync's error, with both outputs). */
export function runTool(name: "kube-score" | "trivy", args: string[]): string {
    return execFileSync(tool(name), args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

export function openssl(): string {
    return requireTool("openssl", "apt-get install openssl (listed in .ci/apt/verify.txt)");
}
