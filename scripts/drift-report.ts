// Lists the resources whose live state differs from what the program declares, from the JSON of
//   pulumi refresh --preview-only --stack <s> --json     (what a refresh would change in the state)
// or of
//   pulumi preview --stack <s> --refresh --json          (what an update would change back)
//
// Usage: npx ts-node --transpile-only scripts/drift-report.ts [--stack <s>] [--json] [FILE|-]
//   FILE (or - / nothing: standard input) holds the command's JSON output.
//   Prints one line per drifted resource: operation, type, name and the changed property paths
//   (never values: they may be secrets). --json prints [{op, type, name, urn, properties}] instead.
// Exit status: 0 no drift, 1 drift (listed), 2 the input is not such a JSON document or the
// command itself reported errors (printed; nothing can be concluded).
import * as fs from "fs";

export interface Drift {
    op: string;
    type: string;
    name: string;
    urn: string;
    /** Changed property paths (the engine's detailed diff, else its list of changed keys). */
    properties: string[];
}

/** Steps that do not mean the cluster differs from the program. */
const NO_CHANGE = new Set(["same", "read", "refresh"]);

function typeAndName(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const typePart = parts[2] ?? "";
    return { type: typePart.slice(typePart.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

/** The drifted resources of a refresh-preview (or preview) JSON document, sorted by type and name. */
export function driftedResources(doc: any): Drift[] {
    if (doc === null || typeof doc !== "object" || !Array.isArray(doc.steps)) {
        throw new Error("not the JSON of `pulumi refresh --preview-only --json` or `pulumi preview --json`: no steps array");
    }
    const out: Drift[] = [];
    for (const s of doc.steps) {
        if (typeof s?.op !== "string" || typeof s?.urn !== "string")
            throw new Error(`a step without op or urn: ${JSON.stringify(s).slice(0, 200)}`);
        const { type, name } = typeAndName(s.urn);
        if (NO_CHANGE.has(s.op) || type === "pulumi:pulumi:Stack") continue;
        const detailed = s.detailedDiff && typeof s.detailedDiff === "object" ? Object.keys(s.detailedDiff) : [];
        const properties = (detailed.length > 0 ? detailed : (s.diffReasons ?? [])).map(String).sort();
        out.push({ op: s.op, type, name, urn: s.urn, properties });
    }
    return out.sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}

/** Error diagnostics of the document: when there are any, the refresh did not complete. */
export function errors(doc: any): string[] {
    return (doc?.diagnostics ?? []).filter((d: any) => d?.severity === "error").map((d: any) => String(d.message).trim());
}

export function formatDrift(drift: Drift[], stack?: string): string {
    const where = stack ? `stack ${stack}` : "the stack";
    if (drift.length === 0) return `no drift: ${where} matches the program`;
    const lines = drift.map(
        (d) => `  ${d.op.padEnd(8)} ${d.type}  ${d.name}${d.properties.length ? `  (${d.properties.join(", ")})` : ""}`,
    );
    return `drift: ${drift.length} resource(s) of ${where} differ from the program:\n${lines.join("\n")}`;
}

const USAGE = "usage: scripts/drift-report.ts [--stack <s>] [--json] [FILE|-]   (FILE: the JSON of pulumi refresh --preview-only --json)";

function main(argv: string[]): number {
    let stack: string | undefined;
    let json = false;
    let file = "-";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") {
            stack = argv[++i];
            if (!stack) {
                process.stderr.write(`--stack needs a stack name\n${USAGE}\n`);
                return 2;
            }
        } else if (a === "--json") json = true;
        else if (a === "--help" || a === "-h") {
            process.stdout.write(`${USAGE}\nexit 0: no drift, 1: drift, 2: unusable input or the command reported errors\n`);
            return 0;
        } else if (a.startsWith("-") && a !== "-") {
            process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
            return 2;
        } else file = a;
    }
    let text: string;
    try {
        text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
    } catch (err: any) {
        process.stderr.write(`cannot read ${file === "-" ? "standard input" : file}: ${err.message}\n${USAGE}\n`);
        return 2;
    }
    let doc: any;
    try {
        doc = JSON.parse(text);
    } catch {
        process.stderr.write(
            `${file === "-" ? "standard input" : file} is not JSON (${text.length} bytes): run pulumi with --json and pass its standard output\n`,
        );
        return 2;
    }
    const failed = errors(doc);
    if (failed.length > 0) {
        process.stderr.write(`the refresh reported errors, so drift cannot be judged:\n  ${failed.join("\n  ")}\n`);
        return 2;
    }
    let drift: Drift[];
    try {
        drift = driftedResources(doc);
    } catch (err: any) {
        process.stderr.write(`${err.message}\n`);
        return 2;
    }
    process.stdout.write(json ? `${JSON.stringify(drift, null, 2)}\n` : `${formatDrift(drift, stack)}\n`);
    return drift.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
