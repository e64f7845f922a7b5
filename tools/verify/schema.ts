// Client-side schema validation of every object against the published schemas: the OpenAPI v3
// documents of the Kubernetes release we verify against (built-in kinds) and the pinned CRDs'
// openAPIV3Schema (custom resources). Like the API server's strict field validation, a field
// the schema does not declare is an error, unless the schema says
// x-kubernetes-preserve-unknown-fields. CEL rules and formats are left to the API server.
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";
import { KubeObject, groupVersion, parseManifest, ref } from "./manifest";
import { crdSources, kubernetesOpenApiDir } from "./sources";

const ROOT_ID = "kube";
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** A pinned CustomResourceDefinition together with where it came from. */
export interface CrdEntry {
    crd: KubeObject;
    origin: string;
}

function gvkKey(group: string, version: string, kind: string): string {
    return `${group}/${version}/${kind}`;
}

function regexOk(pattern: string): boolean {
    try {
        new RegExp(pattern, "u");
        return true;
    } catch {
        return false; // RE2 syntax JavaScript cannot compile; the API server still checks it
    }
}

/**
 * Turns a Kubernetes (structural) OpenAPI schema node into a JSON schema ajv enforces strictly:
 * objects with declared properties reject unknown ones, nullable becomes a null type, refs point
 * into our single definitions document, and documentation-only keywords are dropped.
 */
export function strictSchema(node: any): any {
    if (Array.isArray(node)) return node.map(strictSchema);
    if (node === null || typeof node !== "object") return node;
    const out: any = {};
    for (const [key, value] of Object.entries<any>(node)) {
        switch (key) {
            case "properties":
            case "patternProperties":
                out[key] = Object.fromEntries(Object.entries<any>(value).map(([k, v]) => [k, strictSchema(v)]));
                break;
            case "items":
            case "additionalProperties":
            case "not":
                out[key] = typeof value === "object" ? strictSchema(value) : value;
                break;
            case "allOf":
            case "anyOf":
            case "oneOf":
                out[key] = value.map(strictSchema);
                break;
            case "$ref":
                out[key] = String(value).replace("#/components/schemas/", `${ROOT_ID}#/definitions/`);
                break;
            case "pattern":
                if (regexOk(value)) out[key] = value;
                break;
            case "default":
            case "example":
            case "description":
            case "format":
            case "nullable":
                break;
            default:
                if (!key.startsWith("x-")) out[key] = value;
        }
    }
    if (node.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
    if (node["x-kubernetes-embedded-resource"] === true) {
        out.properties = {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            ...(out.properties ?? {}),
        };
    }
    const preserve = node["x-kubernetes-preserve-unknown-fields"] === true;
    if (!preserve && out.properties && out.additionalProperties === undefined && (out.type === undefined || out.type === "object")) {
        out.additionalProperties = false;
    }
    return out;
}

function describe(err: ErrorObject): string {
    const at = err.instancePath || "/";
    if (err.keyword === "additionalProperties") return `${at}: unknown field "${(err.params as any).additionalProperty}"`;
    if (err.keyword === "type") return `${at}: wrong type, expected ${(err.params as any).type}`;
    if (err.keyword === "enum") return `${at}: must be one of ${JSON.stringify((err.params as any).allowedValues)}`;
    if (err.keyword === "required") return `${at}: missing required field "${(err.params as any).missingProperty}"`;
    return `${at}: ${err.message}`;
}

/**
 * The objects of a pinned CRD file. Parsing 5 MB of CRD YAML takes seconds, so the parsed form
 * is kept beside it (in the tools cache) as JSON and reused while the YAML is unchanged.
 */
function readCrdFile(file: string): KubeObject[] {
    const cache = `${file}.parsed.json`;
    try {
        if (fs.statSync(cache).mtimeMs >= fs.statSync(file).mtimeMs) return JSON.parse(fs.readFileSync(cache, "utf8"));
    } catch {
        /* no usable cache yet */
    }
    const objects = parseManifest(fs.readFileSync(file, "utf8"), file);
    try {
        fs.writeFileSync(`${cache}.${process.pid}`, JSON.stringify(objects));
        fs.renameSync(`${cache}.${process.pid}`, cache);
    } catch {
        /* read-only cache: parse again next time */
    }
    return objects;
}

export class SchemaValidator {
    private readonly ajv: Ajv;
    private readonly definitionOf = new Map<string, string>();
    private readonly compiled = new Map<string, ValidateFunction>();
    readonly crds: CrdEntry[];

    private static cached?: SchemaValidator;

    /** One validator per process: loading the schemas takes seconds, they never change. */
    static shared(): SchemaValidator {
        SchemaValidator.cached ??= SchemaValidator.load();
        return SchemaValidator.cached;
    }

    /** Loads the pinned schemas from the tools cache (see sources.ts). */
    static load(): SchemaValidator {
        const dir = kubernetesOpenApiDir();
        const docs = fs
            .readdirSync(dir)
            .filter((f) => /__v[0-9a-z]+_openapi\.json$/.test(f))
            .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
        const crds: CrdEntry[] = [];
        for (const source of crdSources()) {
            for (const file of source.files) {
                for (const obj of readCrdFile(file)) {
                    if (obj.kind === "CustomResourceDefinition") crds.push({ crd: obj, origin: source.origin });
                }
            }
        }
        return new SchemaValidator(docs, crds);
    }

    constructor(openApiDocs: any[], crds: CrdEntry[]) {
        this.crds = crds;
        const definitions: Record<string, any> = {};
        for (const doc of openApiDocs) {
            for (const [name, schema] of Object.entries<any>(doc.components?.schemas ?? {})) {
                if (definitions[name]) continue;
                definitions[name] = strictSchema(schema);
                for (const gvk of schema["x-kubernetes-group-version-kind"] ?? []) {
                    this.definitionOf.set(gvkKey(gvk.group, gvk.version, gvk.kind), name);
                }
            }
        }
        for (const { crd } of crds) {
            const spec = crd.spec as any;
            for (const v of spec.versions ?? []) {
                const schema = v.schema?.openAPIV3Schema;
                if (!schema || v.served === false) continue;
                const name = `crd.${spec.group}.${v.name}.${spec.names.kind}`;
                const strict = strictSchema(schema);
                // CRD schemas leave metadata open; the API server checks it as ObjectMeta, so do we.
                strict.properties = {
                    ...(strict.properties ?? {}),
                    metadata: { $ref: `${ROOT_ID}#/definitions/${OBJECT_META}` },
                };
                strict.properties.apiVersion ??= { type: "string" };
                strict.properties.kind ??= { type: "string" };
                if (strict.additionalProperties === undefined && schema["x-kubernetes-preserve-unknown-fields"] !== true) {
                    strict.additionalProperties = false;
                }
                definitions[name] = strict;
                this.definitionOf.set(gvkKey(spec.group, v.name, spec.names.kind), name);
            }
        }
        this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
        this.ajv.addSchema({ $id: ROOT_ID, definitions });
    }

    /** True when a schema (built-in or pinned CRD) exists for this apiVersion/kind. */
    knows(apiVersion: string, kind: string): boolean {
        const { group, version } = groupVersion(apiVersion);
        return this.definitionOf.has(gvkKey(group, version, kind));
    }

    /** The pinned CRD that defines this apiVersion/kind, if it is a custom resource. */
    crdFor(apiVersion: string, kind: string): CrdEntry | undefined {
        const { group } = groupVersion(apiVersion);
        return this.crds.find((c) => (c.crd.spec as any).group === group && (c.crd.spec as any).names.kind === kind);
    }

    /** Problems found in one object; empty when it conforms to its published schema. */
    validate(obj: KubeObject): string[] {
        const { group, version } = groupVersion(obj.apiVersion);
        const key = gvkKey(group, version, obj.kind);
        const name = this.definitionOf.get(key);
        if (!name) {
            return [
                `no published schema for apiVersion "${obj.apiVersion}" kind "${obj.kind}" (neither a built-in kind of this Kubernetes release nor in a pinned CRD)`,
            ];
        }
        let fn = this.compiled.get(name);
        if (!fn) {
            fn = this.ajv.compile({ $ref: `${ROOT_ID}#/definitions/${name}` });
            this.compiled.set(name, fn);
        }
        if (fn(obj)) return [];
        const messages = (fn.errors ?? [])
            // oneOf/anyOf summaries repeat what their branches already said
            .filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf")
            .map(describe);
        return [...new Set(messages)];
    }

    /** Validates a set of objects; returns the failures keyed by object reference. */
    validateAll(objects: KubeObject[]): { object: string; errors: string[] }[] {
        return objects.map((o) => ({ object: ref(o), errors: this.validate(o) })).filter((r) => r.errors.length > 0);
    }
}
