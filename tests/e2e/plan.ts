// What a preview plans, compared with what the offline renderer (npm run synth) records: the
// same resources, and for a config change exactly the resources whose inputs the change touches.
import * as fs from "fs";
import * as path from "path";
import type { ResourceRecord } from "../../renderer";

export interface Step {
    op: string;
    type: string;
    name: string;
    urn: string;
}

/** Resources the engine adds on its own: the stack itself and default providers. */
export function engineOwned(type: string, name: string): boolean {
    return type === "pulumi:pulumi:Stack" || (type.startsWith("pulumi:providers:") && name.startsWith("default"));
}

export const key = (type: string, name: string) => `${type}::${name}`;

/** The steps of `pulumi preview --json` (or `up --json`), by type and name. */
export function steps(previewJson: string): Step[] {
    const doc = JSON.parse(previewJson);
    return (doc.steps ?? []).map((s: any) => {
        const urn: string = s.urn;
        const typePart = urn.split("::")[2] ?? "";
        return { op: s.op, type: typePart.slice(typePart.lastIndexOf("$") + 1), name: urn.slice(urn.lastIndexOf("::") + 2), urn };
    });
}

/** Diagnostics the preview printed (warnings and errors), one line each. */
export function diagnostics(previewJson: string): string[] {
    const doc = JSON.parse(previewJson);
    return (doc.diagnostics ?? []).map((d: any) => `${d.severity}: ${String(d.message).trim()} (${d.urn ?? "stack"})`);
}

export function readSynth(dir: string): ResourceRecord[] {
    return JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8"));
}

/** Leaf paths (a.b.c) where two input trees differ. */
function changedPaths(a: any, b: any, prefix = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    const isObj = (v: any) => v !== null && typeof v === "object" && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
    }
    return [prefix];
}

export interface ExpectedChange {
    create: string[];
    update: string[];
    delete: string[];
}

/**
 * The change a preview should show when the program goes from rendering `before` to `after`:
 * resources only in one of them are created or deleted; resources whose inputs differ are
 * updated, except where every difference is under the resource's ignoreChanges.
 */
export function expectedChange(before: ResourceRecord[], after: ResourceRecord[]): ExpectedChange {
    const index = (list: ResourceRecord[]) => new Map(list.map((r) => [key(r.type, r.name), r]));
    const b = index(before);
    const a = index(after);
    const out: ExpectedChange = { create: [], update: [], delete: [] };
    for (const [k, r] of a) {
        const old = b.get(k);
        if (!old) {
            out.create.push(k);
            continue;
        }
        const ignored = r.options?.ignoreChanges ?? [];
        const paths = changedPaths(old.inputs, r.inputs).filter((p) => !ignored.some((i) => p === i || p.startsWith(`${i}.`)));
        if (paths.length > 0 && !r.type.startsWith("kline:")) out.update.push(k); // components have no inputs of their own
    }
    for (const k of b.keys()) if (!a.has(k)) out.delete.push(k);
    for (const list of Object.values(out)) list.sort();
    return out;
}

/** The change a preview shows, in the same shape (replacements count as updates of the resource). */
export function plannedChange(all: Step[]): ExpectedChange {
    const out: ExpectedChange = { create: [], update: [], delete: [] };
    for (const s of all) {
        if (engineOwned(s.type, s.name)) continue;
        const k = key(s.type, s.name);
        if (s.op === "create") out.create.push(k);
        else if (s.op === "update" || s.op === "replace" || s.op === "create-replacement") out.update.push(k);
        else if (s.op === "delete") out.delete.push(k);
    }
    for (const list of Object.values(out)) list.sort();
    return out;
}
