// The CustomResourceDefinitions of a Helm chart, installed and upgraded by Pulumi instead of Helm.
//
// Helm installs a chart's `crds/` folder once and never upgrades it, so bumping kube-prometheus-stack
// would leave the previous operator's CRDs in place (its most frequent upgrade failure); ECK's chart
// ships its CRDs as templates, which Helm does upgrade, but deletes with the release. Both charts can
// run their own CRD upgrade instead (kube-prometheus-stack's `crds.upgradeJob`, a pre-upgrade hook Job
// running `kubectl apply` from two more images, with its own ClusterRole), but a hook Job shows
// nothing in `pulumi preview`, is invisible to drift detection and works only for that one chart.
//
// Here every CRD is its own Pulumi resource, read from `crds/<chart>/<chart version>/` (the CRD
// manifests the pinned chart ships, committed with the pin; crds/README.md says where each comes
// from). So:
//   - a chart bump must come with its CRDs: without the folder of the new version the program
//     stops at once naming it (no chart repository is read: `npm run synth` stays offline);
//   - `pulumi preview` shows every CRD change, and the drift check sees hand edits of a CRD;
//   - the Release `dependsOn` the CRDs, so a new operator never starts against old CRDs, and the
//     Release skips the chart's own copy (`skipCrds` and the chart's switch), which also keeps the
//     4.4 MB of prometheus-operator CRDs out of the 1 MiB release Secret;
//   - `retainOnDelete`: removing them from the program or destroying the stack leaves them in the
//     cluster (deleting a CRD deletes every object of its kind, as Helm knows too);
//   - `pulumi.com/patchForce`: this program owns these CRDs, so server-side apply takes over the
//     fields another manager set (a copy Helm or `kubectl apply` installed before) instead of failing;
//   - applied without the schemas' `description` texts (documentation only: the API server does not
//     validate with them). With them, the prometheus-operator CRDs alone put about 10 MB into each
//     stack's state (4.4 MB of YAML, doubled by the live object's managedFields), which every
//     checkpoint of every update rewrites. `kubectl explain` then shows fields without their text;
//     the files in crds/ keep it.
import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

/** Where the CRDs of every pinned chart version are kept. */
export const CRDS_DIR = path.resolve(__dirname, "..", "..", "crds");

export interface ChartPin {
    name: string;
    version: string;
}

export interface CrdManifest {
    apiVersion: "apiextensions.k8s.io/v1";
    kind: "CustomResourceDefinition";
    metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
    spec: Record<string, any>;
}

/** The folder holding the CRDs of exactly this chart version. */
export function chartCrdDir(chart: ChartPin, root = CRDS_DIR): string {
    return path.join(root, chart.name, chart.version);
}

const parsed = new Map<string, CrdManifest[]>();

/**
 * The CRDs of a chart version, sorted by name. Throws naming the missing folder and the fix when the
 * chart was bumped without its CRDs, or when a file holds anything but CRDs. Parsed once per process
 * (several megabytes of YAML; `npm run synth -- --all` builds every stack in one process).
 */
export function chartCrds(chart: ChartPin, root = CRDS_DIR): CrdManifest[] {
    const dir = chartCrdDir(chart, root);
    const cached = parsed.get(dir);
    if (cached) return cached;
    const crds = readCrdDir(chart, dir, root);
    parsed.set(dir, crds);
    return crds;
}

function readCrdDir(chart: ChartPin, dir: string, root: string): CrdManifest[] {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")) : [];
    if (files.length === 0) {
        const have = fs.existsSync(path.join(root, chart.name)) ? fs.readdirSync(path.join(root, chart.name)).sort() : [];
        throw new Error(
            `the CRDs of Helm chart ${chart.name} ${chart.version} are missing: ${path.relative(process.cwd(), dir) || dir} has no *.yaml. ` +
                `Add the CRD manifests that chart version ships (crds/README.md says where they come from)` +
                (have.length > 0 ? `; present: ${have.join(", ")}` : ""),
        );
    }
    const out: CrdManifest[] = [];
    for (const file of files.sort()) {
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8"))) {
            if (doc.errors.length > 0) throw new Error(`${path.join(dir, file)}: ${doc.errors[0].message}`);
            const obj = doc.toJS({ maxAliasCount: -1 });
            if (obj === null || obj === undefined) continue;
            if (obj.apiVersion !== "apiextensions.k8s.io/v1" || obj.kind !== "CustomResourceDefinition" || !obj.metadata?.name) {
                throw new Error(
                    `${path.join(dir, file)}: holds a ${obj.apiVersion ?? "?"} ${obj.kind ?? "?"}; only apiextensions.k8s.io/v1 CustomResourceDefinitions belong there`,
                );
            }
            const { status: _status, ...crd } = obj;
            out.push(crd);
        }
    }
    const names = out.map((c) => c.metadata.name);
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length > 0) throw new Error(`${dir}: CRD ${twice[0]} is defined twice`);
    return out.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Schema keywords whose values are schemas, or maps / lists of schemas (JSONSchemaProps). */
const SCHEMA_VALUED = ["items", "additionalProperties", "not", "additionalItems"];
const SCHEMA_MAPS = ["properties", "patternProperties", "definitions", "dependencies"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf"];

/** An OpenAPI v3 schema without its `description` keywords (a property named "description" stays). */
export function withoutDescriptions(schema: any): any {
    if (Array.isArray(schema)) return schema.map(withoutDescriptions); // `items` as a list of schemas
    if (schema === null || typeof schema !== "object") return schema;
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(schema)) {
        if (k === "description") continue;
        if (SCHEMA_VALUED.includes(k) || SCHEMA_LISTS.includes(k)) out[k] = withoutDescriptions(v);
        else if (SCHEMA_MAPS.includes(k) && v !== null && typeof v === "object" && !Array.isArray(v)) {
            out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, withoutDescriptions(sub)]));
        } else out[k] = v; // enum, default, example, x-kubernetes-*: data, not schemas
    }
    return out;
}

/** The CRD as Pulumi applies it: owned by this program, schemas without descriptions (see the top of this file). */
export function ownedCrd(crd: CrdManifest): CrdManifest {
    const versions = (crd.spec.versions ?? []).map((v: any) =>
        v.schema?.openAPIV3Schema ? { ...v, schema: { ...v.schema, openAPIV3Schema: withoutDescriptions(v.schema.openAPIV3Schema) } } : v,
    );
    return {
        ...crd,
        metadata: { ...crd.metadata, annotations: { ...(crd.metadata.annotations ?? {}), "pulumi.com/patchForce": "true" } },
        spec: { ...crd.spec, versions },
    };
}

/** One CustomResourceDefinition resource per CRD of a chart version; depend on `crds`. */
export class ChartCrds extends pulumi.ComponentResource {
    public readonly crds: k8s.apiextensions.v1.CustomResourceDefinition[];

    constructor(name: string, chart: ChartPin, opts?: pulumi.ComponentResourceOptions) {
        super("kline:shared:ChartCrds", name, {}, opts);
        this.crds = chartCrds(chart).map(
            (crd) =>
                new k8s.apiextensions.v1.CustomResourceDefinition(`${name}-${crd.metadata.name}`, ownedCrd(crd) as any, {
                    parent: this,
                    retainOnDelete: true,
                }),
        );
        this.registerOutputs({});
    }
}
