// Locating the real tools (promtool, amtool, shellcheck, PostgreSQL, MinIO,
// kube-score, ...). A missing tool is an error that names the install step, never a
// silent skip: CI installs every tool through .ci/run.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Folder where .ci/setup/*.sh put tools built from Go modules (one cache per user). */
export const toolsBinDir = path.join(process.env.KLINE_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "kline-ops", "tools"), "bin");

/** An executable of that name in a PATH folder, or undefined. */
export function onPath(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            /* keep looking */
        }
    }
    return undefined;
}

/**
 * Absolute path of an executable, looked up in the tools cache first and then on PATH
 * (and any extra folders given, e.g. /usr/lib/postgresql/15/bin). Throws with the
 * install hint when it cannot be found.
 */
export function requireTool(name: string, installHint: string, extraDirs: string[] = []): string {
    for (const dir of [toolsBinDir, ...extraDirs]) {
        const candidate = path.join(dir, name);
        if (fs.existsSync(candidate)) return candidate;
    }
    const found = onPath(name);
    if (found) return found;
    throw new Error(`required tool '${name}' was not found (looked in ${toolsBinDir} and PATH). Install it: ${installHint}`);
}

/** Runs a tool and returns stdout; on failure the error carries stdout and stderr. */
export function runTool(file: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    try {
        return execFileSync(file, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024, ...opts });
    } catch (err: any) {
        const out = `${err.stdout ?? ""}${err.stderr ?? ""}`;
        throw new Error(`${path.basename(file)} ${args.join(" ")} failed (exit ${err.status}):\n${out}`);
    }
}

/** shellcheck's findings (every severity) for a script, "" when clean. */
export function shellcheckFindings(script: string): string {
    const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/delivery.txt)");
    try {
        execFileSync(shellcheck, ["--severity=info", "--format=gcc", script], { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
        return "";
    } catch (err: any) {
        return `${err.stdout ?? ""}${err.stderr ?? ""}` || `shellcheck exited ${err.status}`;
    }
}
