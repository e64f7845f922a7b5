// npm run bench:synth — how long rendering all four stacks takes, against a baseline measured in
// the same run: a process that only loads the Pulumi SDKs (the floor every render pays).
// Target: all four stacks in <= 10 s on a 2-core machine.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const TS_NODE = require.resolve("ts-node/dist/bin");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function timed(args: string[]): number {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${args.join(" ")} failed (exit ${res.status}):\n${res.stderr}`);
    return ms;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), "kline-bench-"));
const baselineScript = path.join(ROOT, "bench", "baseline-load.ts");

const baseline: number[] = [];
const synthAll: number[] = [];
const synthOne: number[] = [];
for (let i = 0; i < RUNS; i++) {
    baseline.push(timed([TS_NODE, "--transpile-only", baselineScript]));
    synthAll.push(timed([TS_NODE, "--transpile-only", "tools/synth.ts", "--all"]));
    synthOne.push(timed([TS_NODE, "--transpile-only", "tools/synth.ts", "--stack", "production", "--out", path.join(out, "production")]));
}
const [b, all, one] = [median(baseline), median(synthAll), median(synthOne)];
const row = (name: string, ms: number) =>
    `| ${name.padEnd(44)} | ${(ms / 1000).toFixed(2).padStart(8)} | ${(ms / b).toFixed(2).padStart(6)} |`;
console.log(`median of ${RUNS} runs, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"})`);
console.log(`| ${"measurement".padEnd(44)} | seconds  | × base |`);
console.log(`|${"-".repeat(46)}|----------|--------|`);
console.log(row("baseline: load the Pulumi SDKs only", b));
console.log(row("synth production", one));
console.log(row("synth all four stacks (one process)", all));
console.log(`target: all four stacks <= 10 s -> ${all <= 10000 ? "met" : "NOT met"}`);
fs.rmSync(out, { recursive: true, force: true });
