// scripts/preview-comment.sh, the pull-request comment of a failed preview (fixtures recorded with
// the real engine and policy pack: tests/scripts/fixtures/preview): shellcheck-clean; the
// policy pack's result on top (mandatory and advisory violations, or the error that stopped the
// preview), the whole output below, and the heading and <summary> pulumi/actions v6.6.1 uses to
// find its own comment again (src/libs/pr.ts: body starts with the heading and includes the
// summary), so a later successful preview replaces this comment instead of adding one.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellcheckFindings } from "../lib/tools";

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "preview-comment.sh");
const FIXTURES = path.join(__dirname, "fixtures", "preview");

function comment(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("/bin/bash", [SCRIPT, ...args], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("delivery: scripts/preview-comment.sh", () => {
    it("is shellcheck-clean", () => {
        assert.equal(shellcheckFindings(SCRIPT), "");
    });

    it("a mandatory policy violation: the heading pulumi/actions edits, the policy pack's result and each violation on top, the output below", () => {
        const r = comment(["acme/staging", path.join(FIXTURES, "policy-violation.txt"), "1"]);
        assert.equal(r.status, 0, r.stderr);
        const lines = r.stdout.split("\n");
        assert.equal(lines[0], "#### :tropical_drink: `preview` on kline-analytics/acme/staging");
        assert.ok(r.stdout.includes("<summary>Pulumi report</summary>"));
        assert.match(lines[2], /^\*\*Preview failed: the policy pack found 12 mandatory violation\(s\)\.\*\*/);
        assert.match(lines[2], /Policy pack result: 12 mandatory, 1 advisory violation\(s\)\.$/);
        // one item per violation: the policy, the resource and the violation's own message
        const items = lines.filter((l) => l.startsWith("- `"));
        assert.equal(items.length, 13);
        const target = "(kubernetes:apps/v1:Deployment: kline-analytics-deployment) Deployment default/kline-analytics:";
        assert.ok(items.includes(`- \`container-resources ${target} container "kline-analytics": resources.limits.cpu is missing\``));
        assert.ok(items.includes(`- \`namespace-network-policy ${target} namespace default has no NetworkPolicy\``));
        assert.equal(
            items.at(-1),
            `- \`image-pinned ${target} container "kline-analytics": image 'ghcr.io/stocksanalyses/kline-analytics' has no tag; pin a version tag or a digest\``,
            "the advisory one last",
        );
        // the whole output, without colour codes, escaped for <pre>
        const pre = r.stdout.slice(r.stdout.indexOf("<pre>\n") + 6, r.stdout.indexOf("\n</pre>"));
        assert.doesNotMatch(pre, /\x1b\[/);
        assert.match(pre, /Policy Packs run:\n {4}Name +Version\n {4}kline-baseline\|local\|\S+ +0\.1\.0/);
        assert.match(pre, /\+ kubernetes:apps\/v1:Deployment: \(create\)/);
        assert.ok(pre.startsWith("Previewing update (staging):"));
    });

    it("a preview that fails before the policy pack sees a resource: says so, with the error and the exception's message", () => {
        const r = comment(["production", path.join(FIXTURES, "program-error.txt"), "1"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.split("\n")[0], "#### :tropical_drink: `preview` on kline-analytics/production");
        assert.match(
            r.stdout,
            /\*\*Preview failed\*\* \(pulumi exit 1\), not because of a policy\. Policy pack result: 0 mandatory, 0 advisory/,
        );
        assert.match(
            r.stdout,
            /```\nerror: Running program '\S+' failed with an unhandled exception:\nError: Invalid stack configuration \(1 problem\):\n {2}- javaHeap: '8g' must leave room in the container memory limit 4Gi\n```/,
        );
        assert.doesNotMatch(r.stdout.slice(0, r.stdout.indexOf("<details>")), /^\s+at /m, "no stack trace above the report");
        assert.doesNotMatch(r.stdout, /^- `/m);
    });

    it("trims an output too long for a GitHub comment from the front, keeping the end (the summary and the policy packs)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-preview-"));
        const big = path.join(dir, "big.txt");
        fs.writeFileSync(
            big,
            "x".repeat(100) +
                "\n".repeat(1) +
                "padding line\n".repeat(8000) +
                fs.readFileSync(path.join(FIXTURES, "policy-violation.txt"), "utf8"),
        );
        const r = comment(["staging", big, "1"]);
        assert.equal(r.status, 0);
        assert.ok(r.stdout.length < 65536, `${r.stdout.length} characters`);
        assert.match(r.stdout, /trimmed from the front/);
        assert.match(r.stdout, /Policy Packs run:/);
        assert.doesNotMatch(r.stdout, /x{100}/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("refuses wrong arguments with its usage (exit 2)", () => {
        for (const args of [
            [],
            ["staging"],
            ["staging", "/nonexistent", "1"],
            ["staging", path.join(FIXTURES, "program-error.txt"), "x"],
        ]) {
            const r = comment(args);
            assert.equal(r.status, 2, args.join(" "));
            assert.match(
                r.stderr,
                /usage: scripts\/preview-comment\.sh <stack name as given to --stack> <file with pulumi's output> <pulumi's exit code>/,
            );
        }
    });
});
