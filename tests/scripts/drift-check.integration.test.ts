// scripts/drift-check.sh, the drift workflow's check: shellcheck-clean; its summary from pulumi's
// JSON output (tests/scripts/fixtures/drift, recorded with the real engine on a loopback cluster)
// names every drifted resource, its change and the properties, never their values; a failed
// pulumi command is an error, not "no drift"; the check runs exactly the two read-only pulumi
// commands (through the recording pulumi stand-in, which replays the recorded output).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireTool, shellcheckFindings } from "../lib/tools";

const REPO = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(REPO, "scripts", "drift-check.sh");
const FIXTURES = path.join(__dirname, "fixtures", "drift");
const STAND_INS = path.join(__dirname, "stand-ins");

interface Result {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** The ordinary tools the script uses besides pulumi and jq. */
const BASICS = ["awk", "cat", "grep", "mkdir", "mktemp", "rm", "sed", "tail"];

/** Runs the script with PATH = one folder holding the basics and the given tools (symlinks), nothing else. */
function run(args: string[], tools: Record<string, string>, env: Record<string, string> = {}): Result {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "kline-drift-bin-"));
    try {
        for (const name of BASICS)
            fs.symlinkSync(requireTool(name, "coreutils, grep and sed are part of every Debian system"), path.join(bin, name));
        for (const [name, target] of Object.entries(tools)) fs.symlinkSync(target, path.join(bin, name));
        const r = spawnSync("/bin/bash", [SCRIPT, ...args], { encoding: "utf8", env: { PATH: bin, HOME: os.tmpdir(), ...env } });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    } finally {
        fs.rmSync(bin, { recursive: true, force: true });
    }
}

const jq = () => requireTool("jq", "apt-get install jq (listed in .ci/apt/delivery.txt)");

describe("delivery: scripts/drift-check.sh", () => {
    it("is shellcheck-clean", () => {
        assert.equal(shellcheckFindings(SCRIPT), "");
    });

    it("no drift: exit 0 and both checks say so", () => {
        const r = run(["report", path.join(FIXTURES, "clean"), "--stack", "staging"], { jq: jq() });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.match(/^No drift\.$/gm)?.length, 2);
        assert.match(r.stderr, /staging: no drift/);
    });

    it("drift: exit 1, a table row per drifted resource with its change and properties, a log line each, the fix, no values", () => {
        const summary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kline-drift-")), "summary.md");
        const r = run(
            ["report", path.join(FIXTURES, "drift"), "--stack=staging"],
            { jq: jq() },
            { GITHUB_STEP_SUMMARY: summary, PULUMI_ORG: "acme" },
        );
        assert.equal(r.status, 1, r.stderr);
        const rows = r.stdout.split("\n").filter((l) => /^\| `/.test(l));
        assert.deepEqual(rows, [
            // by hand: the CronJob's schedule changed, the NetworkPolicy deleted
            "| `kline-analytics-backup` | `kubernetes:batch/v1:CronJob` | update | spec.schedule |",
            "| `kline-analytics-ingress` | `kubernetes:networking.k8s.io/v1:NetworkPolicy` | delete | - |",
            // in the program, not deployed: a ConfigMap's content (the provider replaces ConfigMaps)
            '| `kline-analytics-config` | `kubernetes:core/v1:ConfigMap` | replace | data["application.yaml"] |',
        ]);
        assert.match(r.stdout, /Live resources against the state\n\n.*\n\n\*\*Drift:\*\* 2 resource\(s\)/);
        assert.match(r.stdout, /The program against the state\n\n.*\n\n\*\*Drift:\*\* 1 resource\(s\)/);
        assert.match(r.stdout, /pulumi up --stack acme\/staging --refresh/);
        assert.match(r.stdout, /\.\/scripts\/deploy\.sh --stack staging/);
        assert.match(r.stderr, /^drift: staging: kubernetes:batch\/v1:CronJob kline-analytics-backup \(update: spec\.schedule\)$/m);
        assert.match(r.stderr, /^drift: staging: kubernetes:networking\.k8s\.io\/v1:NetworkPolicy kline-analytics-ingress \(delete: -\)$/m);
        assert.match(r.stderr, /DRIFT/);
        // the recorded states hold the values (the hand-set schedule, the new config, the image): none is printed
        const recorded =
            fs.readFileSync(path.join(FIXTURES, "drift", "refresh.json"), "utf8") +
            fs.readFileSync(path.join(FIXTURES, "drift", "preview.json"), "utf8");
        for (const value of ["0 5 * * 0", "port: 8090", "kline-backup:16.6-2.23.0"]) {
            assert.ok(recorded.includes(JSON.stringify(value).slice(1, -1)), `the recording holds ${value}`);
            assert.ok(!(r.stdout + r.stderr).includes(value), `${value} printed`);
        }
        assert.equal(fs.readFileSync(summary, "utf8"), `${r.stdout}`);
    });

    it("a pulumi command that fails for another reason (the cluster unreachable): exit 4 with its error once, never 'no drift'", () => {
        const r = run(["report", path.join(FIXTURES, "failed"), "--stack", "production"], { jq: jq() });
        assert.equal(r.status, 4);
        assert.match(r.stdout, /The check itself failed \(pulumi exit 1\), so drift is unknown/);
        assert.equal(r.stdout.match(/failed to read resource state due to unreachable cluster/g)?.length, 1, "each error once");
        assert.doesNotMatch(r.stdout, /^No drift\.$/m);
        assert.match(r.stderr, /a pulumi command failed/);
    });

    it("check runs pulumi refresh --preview-only and pulumi preview, both --expect-no-changes --json, on <org>/<stack>, and reports them", () => {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "kline-drift-"));
        const log = path.join(work, "calls.log");
        const r = run(
            ["--stack", "canary", "--out", path.join(work, "out")],
            { jq: jq(), pulumi: path.join(STAND_INS, "pulumi") },
            { STANDIN_LOG: log, STANDIN_PULUMI_REPLAY: path.join(FIXTURES, "drift"), PULUMI_ORG: "acme" },
        );
        assert.equal(r.status, 1, r.stderr);
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            "pulumi refresh --stack acme/canary --preview-only --expect-no-changes --json --non-interactive",
            "pulumi preview --stack acme/canary --expect-no-changes --json --non-interactive",
        ]);
        for (const f of ["refresh.json", "refresh.exit", "preview.json", "preview.exit"]) {
            assert.equal(
                fs.readFileSync(path.join(work, "out", f), "utf8").trim(),
                fs.readFileSync(path.join(FIXTURES, "drift", f), "utf8").trim(),
                f,
            );
        }
        assert.match(r.stdout, /## Drift check: canary/);
        assert.equal(fs.readFileSync(path.join(work, "out", "summary.md"), "utf8"), r.stdout, "--out keeps the summary");
        const clean = run(
            ["--stack", "canary"],
            { jq: jq(), pulumi: path.join(STAND_INS, "pulumi") },
            {
                STANDIN_LOG: log,
                STANDIN_PULUMI_REPLAY: path.join(FIXTURES, "clean"),
            },
        );
        assert.equal(clean.status, 0, clean.stderr);
    });

    it("refuses bad usage (exit 2) and names a missing tool (exit 3)", () => {
        const cases: [string[], Record<string, string>, number, RegExp][] = [
            [[], { jq: jq() }, 2, /no stack given: add --stack <name> \(development staging production canary\)/],
            [["--stack", "prod"], { jq: jq() }, 2, /unknown stack 'prod'/],
            [["--stack"], { jq: jq() }, 2, /--stack needs a stack name/],
            [["report", "--stack", "staging"], { jq: jq() }, 2, /report needs the folder/],
            [["report", os.tmpdir(), "--stack", "staging"], { jq: jq() }, 2, /refresh\.json is missing/],
            [["--stack", "staging", "--yes"], { jq: jq() }, 2, /unknown argument '--yes'/],
            [["--stack", "staging"], { jq: jq() }, 3, /pulumi is not on PATH: install the Pulumi CLI/],
            [["--stack", "staging"], { pulumi: path.join(STAND_INS, "pulumi") }, 3, /jq is not on PATH: apt-get install jq/],
        ];
        for (const [args, tools, status, message] of cases) {
            const r = run(args, tools, { STANDIN_LOG: "/dev/null" });
            assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, message, args.join(" "));
        }
    });
});
