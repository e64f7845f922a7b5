// Reading multi-document Kubernetes YAML (what `npm run synth` writes to out/<stack>/manifest.yaml)
// into plain objects, with a stable reference for each object in every report.
import * as fs from "fs";
import * as YAML from "yaml";

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
    [k: string]: unknown;
}

/** Human reference for an object: `Kind namespace/name` (cluster-scoped: `Kind name`). */
export function ref(obj: KubeObject): string {
    const ns = obj.metadata?.namespace;
    return `${obj.kind} ${ns ? `${ns}/` : ""}${obj.metadata?.name ?? "<no name>"}`;
}

/** Splits apiVersion into group and version ("v1" -> core group ""). */
export function groupVersion(apiVersion: string): { group: string; version: string } {
    const i = apiVersion.indexOf("/");
    return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Parses every document; empty documents are skipped, `List` kinds are flattened. */
export function parseManifest(text: string, source = "<manifest>"): KubeObject[] {
    const out: KubeObject[] = [];
    const docs = YAML.parseAllDocuments(text);
    docs.forEach((doc, i) => {
        if (doc.errors.length > 0) {
            throw new Error(`${source}: YAML document ${i + 1} does not parse: ${doc.errors[0].message}`);
        }
        const value = doc.toJS({ maxAliasCount: 100 });
        if (value === null || value === undefined) return;
        if (typeof value !== "object" || Array.isArray(value)) {
            throw new Error(
                `${source}: YAML document ${i + 1} is not a Kubernetes object (got ${Array.isArray(value) ? "a list" : typeof value})`,
            );
        }
        if (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)) {
            out.push(...(value.items as KubeObject[]));
            return;
        }
        if (typeof value.apiVersion !== "string" || typeof value.kind !== "string") {
            throw new Error(`${source}: YAML document ${i + 1} has no apiVersion/kind`);
        }
        out.push(value as KubeObject);
    });
    return out;
}

export function readManifest(file: string): KubeObject[] {
    if (!fs.existsSync(file)) {
        throw new Error(`manifest ${file} does not exist; render it first with: npm run synth -- --stack <name> --out <dir>`);
    }
    return parseManifest(fs.readFileSync(file, "utf8"), file);
}

/** Multi-document YAML for a set of objects (used to hand a subset to the CLI tools). */
export function toYaml(objects: KubeObject[]): string {
    return objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join("---\n");
}

/** Pod template (metadata + spec) of a pod-bearing object, or undefined for other kinds. */
export function podTemplateOf(obj: KubeObject): { metadata?: any; spec: any } | undefined {
    const spec = obj.spec as any;
    switch (obj.kind) {
        case "Pod":
            return { metadata: obj.metadata, spec };
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "ReplicationController":
        case "Job":
            return spec?.template;
        case "CronJob":
            return spec?.jobTemplate?.spec?.template;
        default:
            return undefined;
    }
}
