// What every command shares: settings, the log, and the clean-up that runs on exit or on a signal
// (abandon an upload, stop child processes, drop scratch databases, remove the scratch directory).
import * as fs from "fs";
import * as path from "path";
import { CommonSettings, Env } from "./settings";

export type Log = (line: string) => void;

export const stderrLog: Log = (line) =>
    process.stderr.write(`${new Date().toISOString().replace(/\.\d{3}Z$/, "Z")} backup-restore: ${line}\n`);

export class Cleanup {
    private readonly steps: Array<{ what: string; run: () => Promise<void> | void }> = [];

    /** Registers a step; returns a function that removes it again (the work it undoes is done). */
    add(what: string, run: () => Promise<void> | void): () => void {
        const step = { what, run };
        this.steps.push(step);
        return () => {
            const i = this.steps.indexOf(step);
            if (i >= 0) this.steps.splice(i, 1);
        };
    }

    private running?: Promise<void>;

    /**
     * Runs every step, newest first; a failing step is logged and the others still run. A call while
     * a run is under way (a signal's clean-up and the command's own) waits for that run, so nobody
     * exits before a step another caller started (releasing the lock) has finished.
     */
    runAll(log: Log): Promise<void> {
        this.running ??= this.runSteps(log).finally(() => (this.running = undefined));
        return this.running;
    }

    private async runSteps(log: Log): Promise<void> {
        while (this.steps.length) {
            const step = this.steps.pop()!;
            try {
                await step.run();
            } catch (err) {
                log(`WARNING: ${step.what} failed: ${(err as Error).message}`);
            }
        }
    }
}

export interface Context {
    env: Env;
    common: CommonSettings;
    log: Log;
    cleanup: Cleanup;
}

/** A private scratch directory under BACKUP_WORK_DIR (mode 700), removed on exit. */
export function scratchDir(ctx: Context): string {
    const dir = fs.mkdtempSync(path.join(ctx.common.workRoot, "kline-backup."));
    fs.chmodSync(dir, 0o700);
    ctx.cleanup.add(`removing ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}
