// The real Pulumi engine for the e2e: the CLI and the Kubernetes provider built from Go modules
// (.ci/setup/50-engine-tools.sh), the stand-in plugins found on PATH, a private PULUMI_HOME and a
// file backend in a temp folder, and a copy of the project to run in (so the e2e never writes
// into the working tree: stack files, state and secrets stay in the temp folder).
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { onPath, requireTool, toolsBinDir } from "../lib/tools";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SETUP = "bash .ci/setup/50-engine-tools.sh";

/** The plugins that stand in for what cannot be built here (README "End-to-end tests"). */
export const STAND_INS = [
    { bin: "pulumi-language-nodejs", kind: "language", name: "nodejs", what: "the Node.js language host" },
    { bin: "pulumi-resource-aws", kind: "resource", name: "aws", what: "the AWS provider" },
    { bin: "pulumi-resource-random", kind: "resource", name: "random", what: "the random provider" },
] as const;

/** Where .ci/setup/50-engine-tools.sh puts the stand-ins (never on PATH unless put there). */
export const STAND_INS_BIN = path.join(path.dirname(toolsBinDir), "stand-ins", "bin");

/** Versions the program's package.json pins (the SDKs the plugins must match). */
export function npmPin(pkg: string): string {
    const json = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    const v = json.dependencies?.[pkg];
    if (!v) throw new Error(`package.json has no dependency ${pkg}`);
    return v;
}

export interface EngineTools {
    pulumi: string;
    kubernetesProvider: string;
    standIns: Record<(typeof STAND_INS)[number]["bin"], string>;
}

/** Finds every engine tool, or throws one error that names everything missing and the fix. */
export function findEngineTools(): EngineTools {
    const missing: string[] = [];
    const real = (name: string): string => {
        try {
            return requireTool(name, SETUP);
        } catch {
            missing.push(`${name} (built by ${SETUP})`);
            return "";
        }
    };
    const pulumi = real("pulumi");
    const kubernetesProvider = real("pulumi-resource-kubernetes");
    const standIns = {} as EngineTools["standIns"];
    for (const s of STAND_INS) {
        const found = onPath(s.bin);
        if (!found) missing.push(`${s.bin} (stand-in for ${s.what}; built by ${SETUP} into ${STAND_INS_BIN})`);
        standIns[s.bin] = found ?? "";
    }
    if (missing.length > 0) {
        throw new Error(
            `the e2e cannot run: not found:\n  - ${missing.join("\n  - ")}\n` +
                `Stand-ins are looked up on PATH only: export PATH="${STAND_INS_BIN}:$PATH" (npm test does this).`,
        );
    }
    return { pulumi, kubernetesProvider, standIns };
}

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** A project copy, a backend and a PULUMI_HOME: everything one e2e run writes. */
export class Engine {
    readonly home: string;
    readonly backend: string;
    readonly project: string;
    readonly binDir: string;
    readonly passphrase = crypto.randomBytes(24).toString("base64");
    /** Every secret value the e2e has put into a stack (checked against the state). */
    readonly secrets: string[] = [];
    private env: NodeJS.ProcessEnv;

    constructor(
        readonly root: string,
        readonly tools: EngineTools,
        kubeconfig: string,
    ) {
        this.home = path.join(root, "pulumi-home");
        this.backend = path.join(root, "state");
        this.project = path.join(root, "project");
        this.binDir = path.join(root, "bin");
        for (const d of [this.home, this.backend, this.binDir]) fs.mkdirSync(d, { recursive: true });
        this.secrets.push(this.passphrase);

        // The CLI finds its language host next to itself (a bundled plugin): link both into one folder.
        linkOrCopy(tools.pulumi, path.join(this.binDir, "pulumi"));
        linkOrCopy(tools.standIns["pulumi-language-nodejs"], path.join(this.binDir, "pulumi-language-nodejs"));
        this.env = {
            ...process.env,
            PATH: `${this.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: this.passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            // Only the plugins installed below (at the versions the SDKs ask for) may be used.
            PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            KUBECONFIG: kubeconfig,
            // The aws stand-in never calls AWS; deploy.sh checks that credentials are configured.
            AWS_ACCESS_KEY_ID: "AKIAE2ESTANDIN000000",
            AWS_SECRET_ACCESS_KEY: crypto.randomBytes(20).toString("hex"),
            NO_COLOR: "1",
        };
        delete this.env.PULUMI_ACCESS_TOKEN;
        delete this.env.PULUMI_ORG;
    }

    /** Environment for anything that runs Pulumi against this engine (deploy.sh too). */
    environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        return { ...this.env, ...extra };
    }

    /** Copies the project's files (not node_modules, out/ or .git) and links its node_modules. */
    copyProject(): void {
        const skip = new Set(["node_modules", "out", ".git"]);
        const copy = (from: string, to: string) => {
            fs.mkdirSync(to, { recursive: true });
            for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
                if (skip.has(entry.name)) continue;
                const src = path.join(from, entry.name);
                const dst = path.join(to, entry.name);
                if (entry.isDirectory()) copy(src, dst);
                else if (entry.isFile()) {
                    fs.copyFileSync(src, dst);
                    const st = fs.statSync(src);
                    fs.utimesSync(dst, st.atime, st.mtime); // deploy.sh compares lockfile and install times
                    fs.chmodSync(dst, st.mode);
                }
            }
        };
        copy(REPO_ROOT, this.project);
        const modules = path.join(REPO_ROOT, "node_modules");
        if (!fs.existsSync(path.join(modules, "@pulumi", "pulumi"))) {
            throw new Error(`${modules} has no @pulumi/pulumi: run npm ci --ignore-scripts first`);
        }
        fs.symlinkSync(modules, path.join(this.project, "node_modules"));
        // The policy pack pins the same @pulumi/policy, @pulumi/pulumi, ts-node and typescript as the
        // project (tests/e2e checks this), so it runs from the project's install.
        fs.symlinkSync(modules, path.join(this.project, "policy", "node_modules"));
    }

    /** Installs the Kubernetes provider and the aws/random stand-ins at the versions the SDKs request. */
    installPlugins(): void {
        const install = (kind: string, name: string, version: string, file: string) =>
            this.run(["plugin", "install", kind, name, version, "--file", file, "--reinstall"], { check: true });
        install("resource", "kubernetes", npmPin("@pulumi/kubernetes"), this.tools.kubernetesProvider);
        install("resource", "aws", npmPin("@pulumi/aws"), this.tools.standIns["pulumi-resource-aws"]);
        install("resource", "random", npmPin("@pulumi/random"), this.tools.standIns["pulumi-resource-random"]);
    }

    /** Runs the pulumi CLI in the project copy and waits for it. */
    run(args: string[], opts: { check?: boolean; cwd?: string; input?: string; timeoutMs?: number } = {}): CommandResult {
        return runCommand(path.join(this.binDir, "pulumi"), args, { env: this.env, cwd: opts.cwd ?? this.project, ...opts });
    }

    /** Same, without blocking the event loop (the stand-in controllers keep running meanwhile). */
    runAsync(
        args: string[],
        opts: { check?: boolean; cwd?: string; timeoutMs?: number; file?: string; extraEnv?: NodeJS.ProcessEnv } = {},
    ): Promise<CommandResult> {
        return runCommandAsync(opts.file ?? path.join(this.binDir, "pulumi"), args, {
            env: { ...this.env, ...(opts.extraEnv ?? {}) },
            cwd: opts.cwd ?? this.project,
            check: opts.check,
            timeoutMs: opts.timeoutMs,
        });
    }

    /** Sets a secret config value (random unless given) and remembers it for the plain-text check. */
    setSecret(stack: string, key: string, value = `e2e-${key}-${crypto.randomBytes(12).toString("hex")}`): string {
        this.secrets.push(value);
        runCommand(path.join(this.binDir, "pulumi"), ["config", "set", "--stack", stack, "--secret", key], {
            env: this.env,
            cwd: this.project,
            input: value,
            check: true,
        });
        return value;
    }
}

function linkOrCopy(from: string, to: string): void {
    const real = fs.realpathSync(from);
    try {
        fs.linkSync(real, to);
    } catch {
        fs.copyFileSync(real, to);
        fs.chmodSync(to, 0o755);
    }
}

function describe(file: string, args: string[]): string {
    return `${path.basename(file)} ${args.join(" ")}`;
}

export function runCommand(
    file: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; check?: boolean; timeoutMs?: number },
): CommandResult {
    const t0 = Date.now();
    let result: CommandResult;
    try {
        const stdout = execFileSync(file, args, {
            env: opts.env,
            cwd: opts.cwd,
            input: opts.input,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
            maxBuffer: 256 * 1024 * 1024,
            timeout: opts.timeoutMs ?? 15 * 60_000,
        });
        result = { code: 0, stdout, stderr: "", seconds: (Date.now() - t0) / 1000 };
    } catch (err: any) {
        result = { code: err.status ?? 1, stdout: `${err.stdout ?? ""}`, stderr: `${err.stderr ?? ""}`, seconds: (Date.now() - t0) / 1000 };
    }
    if (opts.check && result.code !== 0) {
        throw new Error(`${describe(file, args)} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return result;
}

export function runCommandAsync(
    file: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string; check?: boolean; timeoutMs?: number },
): Promise<CommandResult> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { env: opts.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const timer = setTimeout(() => child.kill("SIGINT"), opts.timeoutMs ?? 20 * 60_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            const result = { code: code ?? 1, stdout, stderr, seconds: (Date.now() - t0) / 1000 };
            if (opts.check && result.code !== 0) {
                reject(new Error(`${describe(file, args)} failed (exit ${result.code}):\n${stdout}\n${stderr}`));
            } else resolve(result);
        });
    });
}
