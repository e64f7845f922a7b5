// Runs scripts/backup-restore.sh as a child process, the way an operator or the CronJob does.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";

export const SCRIPT = path.resolve(__dirname, "..", "..", "..", "scripts", "backup-restore.sh");

export interface ScriptResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

export interface RunningScript {
    child: ChildProcess;
    done: Promise<ScriptResult>;
    /** Resolves when stderr (the script's log) matches, rejects if the script ends first. */
    waitForLog(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts the script with exactly `env` (plus PATH/HOME), so nothing leaks in from the caller. */
export function startScript(args: string[], env: Record<string, string | undefined>, cwd?: string): RunningScript {
    const full: Record<string, string> = {};
    for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", ...env })) {
        if (v !== undefined) full[k] = v; // undefined = leave the variable unset
    }
    const child = spawn("bash", [SCRIPT, ...args], {
        env: full,
        stdio: ["ignore", "pipe", "pipe"],
        cwd,
    });
    let stdout = "";
    let stderr = "";
    const waiters: { re: RegExp; resolve: () => void }[] = [];
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => {
        stderr += d;
        for (const w of waiters.splice(0)) {
            if (w.re.test(stderr)) w.resolve();
            else waiters.push(w);
        }
    });
    const done = new Promise<ScriptResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
    return {
        child,
        done,
        waitForLog(re, timeoutMs = 30_000) {
            if (re.test(stderr)) return Promise.resolve();
            return new Promise<void>((resolve, reject) => {
                const timer = setTimeout(
                    () => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms:\n${stderr}`)),
                    timeoutMs,
                );
                waiters.push({
                    re,
                    resolve: () => {
                        clearTimeout(timer);
                        resolve();
                    },
                });
                done.then(() => {
                    clearTimeout(timer);
                    reject(new Error(`script ended before logging ${re}:\n${stderr}`));
                });
            });
        },
    };
}

export function runScript(args: string[], env: Record<string, string | undefined>, cwd?: string): Promise<ScriptResult> {
    return startScript(args, env, cwd).done;
}

/** Formats a result for assertion messages. */
export function show(r: ScriptResult): string {
    return `exit ${r.code}${r.signal ? ` (signal ${r.signal})` : ""}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
