// npm run synth -- [--stack <name>|--all] [--out <dir>] [--stack-file <file>] [--config key=value ...]
// Renders a stack offline (Pulumi mocks; no cloud, no Pulumi CLI) into <dir>/manifest.yaml,
// <dir>/resources.json and <dir>/outputs.json. Same input, byte-identical output.
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { ConfigError } from "../config/validate";
import { ConfigOverride, PROJECT_DIR, RenderResult, STACKS, StackConfigFileError, renderStack } from "../renderer";

const USAGE = `usage: npm run synth -- [--stack <name> | --all] [--out <dir>] [--stack-file <file>] [--config key=value]...
  --stack       stack to render (default: development); one of ${STACKS.join(", ")}
  --all         render every stack into out/<stack>
  --out         output folder (default: out/<stack>)
  --stack-file  read config from this file instead of Pulumi.<stack>.yaml
  --config      override one config key (repeatable), as \`pulumi config set\` would`;

class UsageError extends Error {}

interface Args {
    stacks: string[];
    out?: string;
    stackFile?: string;
    overrides: Record<string, ConfigOverride>;
}

export function parseArgs(argv: string[]): Args {
    const args: Args = { stacks: [], overrides: {} };
    const value = (i: number, flag: string) => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack" || a === "-s") args.stacks.push(value(i++, a));
        else if (a === "--all") args.stacks.push(...STACKS);
        else if (a === "--out") args.out = value(i++, a);
        else if (a === "--stack-file") args.stackFile = value(i++, a);
        else if (a === "--config" || a === "-c") {
            const kv = value(i++, a);
            const eq = kv.indexOf("=");
            if (eq <= 0) throw new UsageError(`--config takes key=value, got "${kv}"`);
            args.overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
        } else if (a === "--help" || a === "-h") throw new UsageError("");
        else throw new UsageError(`unknown argument "${a}"`);
    }
    if (args.stacks.length === 0) args.stacks.push("development");
    for (const s of args.stacks) {
        if (!args.stackFile && !(STACKS as readonly string[]).includes(s)) {
            throw new UsageError(`unknown stack "${s}": known stacks are ${STACKS.join(", ")} (or pass --stack-file)`);
        }
    }
    if (args.stacks.length > 1 && (args.out || args.stackFile)) throw new UsageError("--out and --stack-file go with a single --stack");
    return args;
}

export function writeRender(result: RenderResult, outDir: string): void {
    fs.mkdirSync(outDir, { recursive: true });
    const docs = result.manifests.map((m) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false }));
    fs.writeFileSync(path.join(outDir, "manifest.yaml"), docs.map((d) => `---\n${d}`).join(""));
    fs.writeFileSync(path.join(outDir, "resources.json"), `${JSON.stringify(result.resources, null, 2)}\n`);
    fs.writeFileSync(path.join(outDir, "outputs.json"), `${JSON.stringify(result.outputs, null, 2)}\n`);
}

export function summary(result: RenderResult, outDir: string): string {
    const counts = new Map<string, number>();
    for (const r of result.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const lines = [
        `stack ${result.stack}: ${result.resources.length} resources, ${result.manifests.length} Kubernetes objects -> ${path.relative(process.cwd(), outDir) || "."}`,
    ];
    for (const [type, n] of [...counts.entries()].sort()) lines.push(`  ${String(n).padStart(3)}  ${type}`);
    for (const w of result.warnings) lines.push(`  warning: ${w}`);
    return lines.join("\n");
}

/** The command: renders, prints the summary (stdout) or the config problems (stderr); returns the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (err) {
        if (err instanceof UsageError) {
            if (err.message) console.error(`synth: ${err.message}`);
            console.error(USAGE);
            return err.message ? 2 : 0;
        }
        throw err;
    }
    for (const stack of args.stacks) {
        const outDir = path.resolve(args.out ?? path.join(PROJECT_DIR, "out", stack));
        try {
            const result = await renderStack(stack, { stackFile: args.stackFile, overrides: args.overrides });
            writeRender(result, outDir);
            console.log(summary(result, outDir));
        } catch (err) {
            if (err instanceof ConfigError || err instanceof StackConfigFileError) {
                console.error(`synth: stack ${stack}: ${err.message}`);
                return 1;
            }
            throw err;
        }
    }
    return 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err) => {
            console.error(`synth: ${err?.stack ?? err}`);
            process.exit(1);
        },
    );
}
