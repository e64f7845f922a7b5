// The offline renderer: runs the program under Pulumi mocks with a stack's Pulumi.<stack>.yaml
// (merged with the Pulumi.yaml defaults, as the CLI does) and returns every registered resource,
// every Kubernetes object as a manifest, and the stack outputs. Secrets become a fixed placeholder.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { PRODUCTION_OVERRIDES, SECRET_KEYS, secretsGeneratedWhenUnset } from "../config";
import { RecordingMocks } from "./mocks";
import {
    RESOURCE_SIGNATURE,
    SECRET_SIGNATURE,
    SIGNATURE_KEY,
    AliasSpec,
    aliasSpecs,
    registeredInputs,
    resourceMonitor,
    waitForRegistrations,
} from "./sdk";

export const PROJECT_DIR = path.resolve(__dirname, "..");
export const STACKS = ["development", "staging", "production", "canary"] as const;
export const SECRET_PLACEHOLDER = "[secret]";
/** What a `secure:` stack value (ciphertext the renderer cannot decrypt) becomes under mocks. */
const SECURE_STAND_IN = "synth-placeholder-not-a-real-secret";

export class StackConfigFileError extends Error {}

/** A config override: a plain string, or `{ secret }` for a value set with --secret. */
export type ConfigOverride = string | { secret: string };

export interface RenderOptions {
    /** Use this stack file instead of Pulumi.<stack>.yaml. */
    stackFile?: string;
    /** Values applied over the stack file, keys with or without the `kline-analytics:` namespace. */
    overrides?: Record<string, ConfigOverride>;
}

export interface LoadedConfig {
    config: Record<string, string>;
    secretKeys: string[];
    warnings: string[];
    /** Unset secret keys and the stand-in each got (warned about only when a resource uses it). */
    standIns?: Record<string, string>;
}

function readYaml(file: string): any {
    try {
        return parse(fs.readFileSync(file, "utf8")) ?? {};
    } catch (err: any) {
        throw new StackConfigFileError(`cannot read ${path.relative(process.cwd(), file) || file}: ${err.message}`);
    }
}

/** Merges Pulumi.yaml defaults with the stack file the way the Pulumi CLI does, and checks declared types. */
export function loadStackConfig(stack: string, opts: RenderOptions = {}): LoadedConfig {
    const project = readYaml(path.join(PROJECT_DIR, "Pulumi.yaml"));
    const name: string = project.name;
    const stackFile = opts.stackFile ?? path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new StackConfigFileError(`no stack file ${stackFile}: known stacks are ${STACKS.join(", ")} (or pass --stack-file)`);
    }
    const stackValues: Record<string, unknown> = readYaml(stackFile).config ?? {};
    const declared: Record<string, any> = project.config ?? {};
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const warnings: string[] = [];
    const problems: string[] = [];

    const full = (key: string) => (key.includes(":") ? key : `${name}:${key}`);
    const put = (key: string, value: unknown) => {
        if (value !== null && typeof value === "object" && "secure" in (value as any)) {
            config[key] = SECURE_STAND_IN;
            secretKeys.push(key);
        } else if (value !== null && typeof value === "object" && "secret" in (value as any)) {
            config[key] = String((value as any).secret);
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    };
    const merged: Record<string, unknown> = { ...stackValues };
    for (const [key, value] of Object.entries(opts.overrides ?? {})) merged[full(key)] = value;

    for (const [key, value] of Object.entries(merged)) {
        const [ns, bare] = key.split(/:(.*)/s);
        if (ns === name && !(bare in declared)) {
            problems.push(
                `Stack '${stack}' uses configuration value '${bare}' which is not defined by the project configuration (Pulumi.yaml)`,
            );
            continue;
        }
        const spec = ns === name ? declared[bare] : undefined;
        if (spec?.type === "integer" && typeof value !== "object" && !/^-?\d+$/.test(String(value))) {
            problems.push(`Stack '${stack}' config value '${bare}' = ${JSON.stringify(value)} is not an integer (declared type integer)`);
        }
        if (spec?.type === "boolean" && typeof value !== "object" && !/^(true|false)$/.test(String(value))) {
            problems.push(`Stack '${stack}' config value '${bare}' = ${JSON.stringify(value)} is not a boolean (declared type boolean)`);
        }
        put(key, value);
    }
    for (const [bare, spec] of Object.entries(declared)) {
        const key = `${name}:${bare}`;
        if (key in config) continue;
        if (spec !== null && typeof spec === "object" && "default" in spec) put(key, spec.default);
        else if (spec !== null && typeof spec === "object" && "value" in spec) put(key, spec.value);
        else problems.push(`Stack '${stack}' is missing configuration value '${bare}' (Pulumi.yaml declares it without a default)`);
    }
    if (problems.length > 0) throw new StackConfigFileError(problems.join("\n"));
    // Secrets live encrypted in the operator's stack config, not in this repository. Offline, an
    // unset secret gets a stand-in (marked secret, so it renders as the placeholder); renderStack
    // warns about it only when a resource uses it, so a stack is never told to set a secret it
    // does not need (the canary's dbPassword, development's generated one). A secret the program
    // generates when unset (the in-cluster database's backup roles) gets none: it is generated.
    const standIns: Record<string, string> = {};
    const generated = secretsGeneratedWhenUnset((bare) => config[`${name}:${bare}`]);
    for (const bare of SECRET_KEYS) {
        const key = `${name}:${bare}`;
        if (generated.includes(bare) && (config[key] === undefined || config[key] === "")) continue;
        if (config[key] === undefined || config[key] === "") {
            config[key] = standIns[bare] = `${SECURE_STAND_IN}:${bare}`;
            if (!secretKeys.includes(key)) secretKeys.push(key);
        }
    }
    return { config, secretKeys, warnings, standIns };
}

export interface ResourceRecord {
    type: string;
    name: string;
    parent: string | null;
    inputs: any;
    options: { protect?: boolean; dependsOn?: string[]; ignoreChanges?: string[]; provider?: string; retainOnDelete?: boolean };
}

export interface RenderResult {
    stack: string;
    resources: ResourceRecord[];
    manifests: any[];
    outputs: Record<string, any>;
    warnings: string[];
    /** The URN of every registration and the URNs its aliases stand for (what `pulumi up` matches state by). */
    urns: Array<{ urn: string; aliases: string[] }>;
}

const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** Every leaf replaced by the placeholder; keys are kept (a Secret's keys are not secret). */
function maskLeaves(value: any): any {
    if (Array.isArray(value)) return value.map(maskLeaves);
    if (value !== null && typeof value === "object") {
        if (value[SIGNATURE_KEY] === SECRET_SIGNATURE) return maskLeaves(value.value);
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, maskLeaves(v)]),
        );
    }
    return SECRET_PLACEHOLDER;
}

/** Replaces secrets (and resource references) in deserialised inputs; drops undefined. */
export function scrub(value: any, urnToName: (urn: string) => string = urnName): any {
    if (Array.isArray(value)) return value.map((v) => scrub(v, urnToName));
    if (value !== null && typeof value === "object") {
        if (value[SIGNATURE_KEY] === SECRET_SIGNATURE) return maskLeaves(value.value);
        if (value[SIGNATURE_KEY] === RESOURCE_SIGNATURE) return urnToName(value.urn);
        const out: any = {};
        for (const [k, v] of Object.entries(value)) {
            if (v === undefined) continue;
            out[k] = scrub(v, urnToName);
        }
        return out;
    }
    return value;
}

const KIND_ORDER = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "Role",
    "RoleBinding",
    "PersistentVolumeClaim",
    "Service",
    "StatefulSet",
    "Deployment",
    "DaemonSet",
    "CronJob",
    "Job",
    "Ingress",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
];
const NOT_MANIFESTS = new Set(["kubernetes:helm.sh/v3:Release", "kubernetes:yaml:ConfigFile", "kubernetes:yaml:ConfigGroup"]);

/** A Kubernetes object as `kubectl apply` reads it; Secret values are always hidden. */
function toManifest(rec: ResourceRecord): any {
    const m = { ...rec.inputs };
    if (m.kind === "Secret") {
        for (const field of ["data", "stringData"]) {
            if (m[field] !== null && typeof m[field] === "object") m[field] = maskLeaves(m[field]);
        }
    }
    const { apiVersion, kind, metadata, ...rest } = m;
    return { apiVersion, kind, metadata, ...rest };
}

function manifestSortKey(m: any): string {
    const idx = KIND_ORDER.indexOf(m.kind);
    return `${String(idx < 0 ? 99 : idx).padStart(2, "0")}\u0000${m.kind}\u0000${m.metadata?.namespace ?? ""}\u0000${m.metadata?.name ?? ""}`;
}

async function resolveOutputs(value: any): Promise<any> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as any;
        const [v, secret] = await Promise.all([o.promise(), o.isSecret]);
        return secret ? SECRET_PLACEHOLDER : resolveOutputs(v);
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
    if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const out: any = {};
        for (const [k, v] of Object.entries(value)) out[k] = await resolveOutputs(v);
        return out;
    }
    return value;
}

/** Installs recording mocks for a stack and its config. The only place tests and synth set mocks. */
export function installMocks(stack: string, loaded: LoadedConfig, region = "us-west-2") {
    // Offline, the canary's production stack counts as deployed with the namespace the canary expects.
    const productionNamespace = loaded.config["kline-analytics:productionNamespace"] ?? "kline-analytics-production";
    const mocks = new RecordingMocks(region, () => ({ namespace: productionNamespace }));
    // "organization" is what the engine reports for a self-managed backend (stack references use it).
    pulumi.runtime.setMocks(mocks, "kline-analytics", stack, false, "organization");
    pulumi.runtime.setAllConfig(loaded.config, loaded.secretKeys);

    // Record what the engine would see: parent, options and inputs of every registration.
    const requests: Array<{
        urn: string;
        aliases: AliasSpec[];
        type: string;
        name: string;
        parent: string;
        inputs: any;
        options: ResourceRecord["options"];
    }> = [];
    const monitor = resourceMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const parent: string = req.getParent();
        const options: ResourceRecord["options"] = {};
        if (req.getProtect()) options.protect = true;
        if (req.getRetainondelete()) options.retainOnDelete = true;
        if (req.getDependenciesList().length > 0) options.dependsOn = req.getDependenciesList();
        if (req.getIgnorechangesList().length > 0) options.ignoreChanges = req.getIgnorechangesList();
        if (req.getProvider()) options.provider = req.getProvider().split("::")[0];
        requests.push({
            urn: monitor.newUrn(parent, req.getType(), req.getName()),
            aliases: aliasSpecs(req),
            type: req.getType(),
            name: req.getName(),
            parent,
            inputs: registeredInputs(req),
            options,
        });
        return original(req, callback);
    };
    return { mocks, requests };
}

/**
 * URNs as the Pulumi engine forms them, with the URNs each registration's aliases stand for. The
 * mock monitor's URNs keep only the parent's own type; the engine's keep the whole chain of parent
 * types (the root stack adds none), so moving a component under a new parent changes the URNs of
 * all its descendants. As in the engine, a parent's aliases are inherited by its children.
 */
export function engineUrns(
    stack: string,
    project: string,
    requests: Array<{ urn: string; type: string; name: string; parent: string; aliases: AliasSpec[] }>,
): Array<{ urn: string; aliases: string[] }> {
    const engineUrn = new Map<string, string>();
    const aliasesOf = new Map<string, string[]>();
    const make = (parent: string | undefined, type: string, name: string) =>
        `urn:pulumi:${stack}::${project}::${parent ? `${parent.split("::")[2]}$${type}` : type}::${name}`;
    /** A parent as the engine names it, and the URNs of its aliases; nothing for the root stack or none. */
    const parentUrns = (parent: string | null | undefined): Array<string | undefined> => {
        if (!parent || parent.split("::")[2] === "pulumi:pulumi:Stack") return [undefined];
        return [engineUrn.get(parent) ?? parent, ...(aliasesOf.get(parent) ?? [])];
    };
    const out: Array<{ urn: string; aliases: string[] }> = [];
    for (const r of requests) {
        const [parent, ...parentAliases] = parentUrns(r.parent);
        const urn = make(parent, r.type, r.name);
        const aliases = new Set<string>(parentAliases.map((p) => make(p, r.type, r.name)));
        for (const a of r.aliases) {
            if (a.urn) aliases.add(a.urn);
            else
                for (const p of parentUrns(a.parent === undefined ? r.parent : a.parent))
                    aliases.add(make(p, a.type ?? r.type, a.name ?? r.name));
        }
        aliases.delete(urn);
        engineUrn.set(r.urn, urn);
        aliasesOf.set(r.urn, [...aliases].sort());
        out.push({ urn, aliases: [...aliases].sort() });
    }
    return out.sort((a, b) => a.urn.localeCompare(b.urn));
}

/** Renders one stack under mocks. Config errors reject with the config module's message. */
export async function renderStack(stack: string, opts: RenderOptions = {}): Promise<RenderResult> {
    const loaded = loadStackConfig(stack, opts);
    const region = loaded.config["aws:region"] ?? "us-west-2";
    const { requests } = installMocks(stack, loaded, region);

    // Imported lazily so that modules which construct resources see the mocks.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadConfig } = require("../config") as typeof import("../config");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { createStack } = require("../stack") as typeof import("../stack");
    const cfg = loadConfig();
    const outputs = await resolveOutputs(createStack(cfg));
    await waitForRegistrations();

    const urnToName = new Map(requests.map((r) => [r.urn, r.name]));
    const byName = (urn: string) => urnToName.get(urn) ?? urnName(urn);
    const resources: ResourceRecord[] = requests
        .map((r) => {
            const options = { ...r.options };
            if (options.dependsOn) options.dependsOn = options.dependsOn.map(byName).sort();
            if (options.provider) options.provider = byName(options.provider);
            return { type: r.type, name: r.name, parent: r.parent ? byName(r.parent) : null, inputs: scrub(r.inputs, byName), options };
        })
        .sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name)));
    const names = new Set<string>();
    const warnings = [...loaded.warnings, ...cfg.warnings];
    // A secret production must have (or override): offline its stand-in counts as set, a real preview refuses it.
    const requiredInProduction = new Map<string, string>(Object.entries(PRODUCTION_OVERRIDES).map(([k, v]) => [v, k]));
    const rawInputs = requests.map((r) => JSON.stringify(r.inputs)).join("\n");
    for (const [bare, standIn] of Object.entries(loaded.standIns ?? {})) {
        if (!rawInputs.includes(JSON.stringify(standIn).slice(1, -1))) continue;
        const file = opts.stackFile ? path.basename(opts.stackFile) : `Pulumi.${stack}.yaml`;
        const override = cfg.environment === "production" ? requiredInProduction.get(bare) : undefined;
        warnings.push(
            `${bare} is not set in ${file}; rendered with a stand-in (pulumi config set --secret ${bare} ...)` +
                (override ? `. A real pulumi preview REFUSES production without it, unless ${override} is true` : ""),
        );
    }
    for (const r of requests) {
        if (names.has(r.urn)) warnings.push(`duplicate resource URN ${r.urn}: the Pulumi engine would refuse this program`);
        names.add(r.urn);
    }
    const manifests = resources
        .filter((r) => r.type.startsWith("kubernetes:") && !NOT_MANIFESTS.has(r.type))
        .map(toManifest)
        .sort((a, b) => manifestSortKey(a).localeCompare(manifestSortKey(b)));
    const urns = engineUrns(pulumi.getStack(), pulumi.getProject(), requests);
    return { stack, resources, manifests, outputs, warnings, urns };
}
