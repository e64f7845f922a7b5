// npm run policy -- [--stack <name>]... [--out <dir>] [--file <resources.json>]...
// Runs the policy pack's rules (policy/rules, the same functions `pulumi preview --policy-pack
// policy` runs) over synth output, so a baseline violation fails CI without the Pulumi CLI.
// Rendered stacks are checked together: a namespace shared between stacks (canary runs in
// production's) must be covered by the NetworkPolicies of the stack that owns it.
// Exit 0: no violation; 1: violations (one line each: [policy] type name: message); 2: bad usage
// or missing synth output.
import * as fs from "fs";
import * as path from "path";
import { BASELINE, baselineAcrossStacks, checkResources, formatViolation } from "../policy/rules/baseline";
import { PolicyResource, Violation } from "../policy/rules/types";
import { computeState } from "../renderer";

export const STACKS = ["development", "staging", "production", "canary"];
const PROJECT_DIR = path.resolve(__dirname, "..");
const BUCKET_TYPES = new Set(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);

const USAGE = `usage: npm run policy -- [--stack <name>]... [--out <dir>] [--file <resources.json>]...
  --stack  stack whose <out>/<stack>/resources.json is checked (repeatable; default: all of ${STACKS.join(", ")})
  --out    folder synth wrote into (default: out)
  --file   check this resources.json instead (repeatable)
Render first with: npm run synth -- --all`;

/** One record of resources.json as tools/synth.ts writes it. */
export interface ResourceRecord {
    type: string;
    name: string;
    parent?: string | null;
    inputs: any;
    options?: unknown;
}

/**
 * The rules' view of synth records. A record carries inputs only; other resources refer to a
 * bucket by the id the provider assigns, so for auto-named buckets that id is derived the way the
 * synth mocks derive it.
 */
export function toPolicyResources(records: ResourceRecord[]): PolicyResource[] {
    return records.map((r) => {
        const resource: PolicyResource = { type: r.type, name: r.name, props: r.inputs ?? {} };
        if (BUCKET_TYPES.has(r.type)) {
            const { id, state } = computeState(r.type, r.name, r.inputs ?? {}, "us-west-2");
            resource.ids = [id, state.arn].filter((v): v is string => typeof v === "string");
        }
        return resource;
    });
}

export function readRecords(file: string): ResourceRecord[] {
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err: any) {
        throw new UsageError(`cannot read ${file}: ${err.code === "ENOENT" ? "not found" : err.message}`);
    }
    if (!Array.isArray(parsed) || parsed.some((r) => typeof r?.type !== "string" || typeof r?.name !== "string")) {
        throw new UsageError(`${file} is not a synth resources.json (an array of {type, name, parent, inputs, options})`);
    }
    return parsed as ResourceRecord[];
}

/**
 * Every violation of the baseline in one stack's records. With `otherStacks` (the records of the
 * project's other rendered stacks), policies in namespaces shared between stacks are checked
 * across them instead of trusted.
 */
export function checkRecords(records: ResourceRecord[], otherStacks?: ResourceRecord[]): Violation[] {
    const rules = otherStacks ? baselineAcrossStacks(toPolicyResources(otherStacks)) : BASELINE;
    return checkResources(toPolicyResources(records), rules);
}

export class UsageError extends Error {}

interface Target {
    label: string;
    file: string;
    hint: string;
    /** Rendered stacks are checked together with the other stacks found beside them. */
    stackDir?: string;
}

export function parseArgs(argv: string[]): Target[] {
    const stacks: string[] = [];
    const files: string[] = [];
    let out = path.join(PROJECT_DIR, "out");
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack" || a === "-s") stacks.push(value());
        else if (a === "--out") out = path.resolve(value());
        else if (a === "--file") files.push(path.resolve(value()));
        else if (a === "--help" || a === "-h") throw new UsageError("");
        else throw new UsageError(`unknown argument "${a}"`);
    }
    for (const s of stacks) {
        if (!STACKS.includes(s)) throw new UsageError(`unknown stack "${s}": known stacks are ${STACKS.join(", ")}`);
    }
    const targets: Target[] = files.map((f) => ({ label: path.relative(process.cwd(), f) || f, file: f, hint: "" }));
    if (files.length === 0 || stacks.length > 0) {
        for (const s of stacks.length ? stacks : STACKS) {
            targets.push({
                label: s,
                file: path.join(out, s, "resources.json"),
                hint: ` (render it with: npm run synth -- --stack ${s})`,
                stackDir: out,
            });
        }
    }
    return targets;
}

/** Records of every rendered stack in `out` except `stack` (stacks not rendered are left out). */
function otherStacksBeside(out: string, stack: string): ResourceRecord[] {
    return STACKS.filter((s) => s !== stack && fs.existsSync(path.join(out, s, "resources.json"))).flatMap((s) =>
        readRecords(path.join(out, s, "resources.json")),
    );
}

export function main(argv: string[], log = console.log, error = console.error): number {
    let targets: Target[];
    try {
        targets = parseArgs(argv);
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        if (err.message) error(`policy-check: ${err.message}`);
        error(USAGE);
        return err.message ? 2 : 0;
    }
    let failed = 0;
    for (const t of targets) {
        let records: ResourceRecord[];
        let others: ResourceRecord[] | undefined;
        try {
            records = readRecords(t.file);
            others = t.stackDir === undefined ? undefined : otherStacksBeside(t.stackDir, t.label);
        } catch (err) {
            if (!(err instanceof UsageError)) throw err;
            error(`policy-check: ${t.label}: ${err.message}${t.hint}`);
            return 2;
        }
        const violations = checkRecords(records, others);
        if (violations.length === 0) {
            log(`policy-check: ${t.label}: ${records.length} resources, no violations`);
        } else {
            failed += violations.length;
            error(`policy-check: ${t.label}: ${violations.length} violation(s) of the baseline:`);
            for (const v of violations) error(`  ${formatViolation(v)}`);
        }
    }
    return failed > 0 ? 1 : 0;
}

if (require.main === module) {
    process.exit(main(process.argv.slice(2)));
}
