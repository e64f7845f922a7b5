// scripts/preview-comment.sh, the pull-request comment of a failed preview: shellcheck-clean; the
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
        assert.match(lines[2], /^\*\*Preview failed: the policy pack found 1 mandatory violation\(s\)\.\*\*/);
        assert.match(lines[2], /Policy pack result: 1 mandatory, 1 advisory violation\(s\)\.$/);
        assert.deepEqual(
            lines.filter((l) => l.startsWith("- `")),
            [
                "- `kline-baseline@v0.1.0 [mandatory]  container-resources  (kubernetes:apps/v1:Deployment: kline-analytics-deployment)container 'kline-analytics' has no CPU limit; set requests and limits for cpu and memory (requests <= limits)`",
                "- `kline-baseline@v0.1.0 [advisory]  image-pinned  (kubernetes:batch/v1:Job: kline-analytics-restore)image 'postgres:16' is pinned by a major version only & may move; pin <major.minor> or a digest`",
            ],
        );
        // the whole output, without colour codes, escaped for <pre>
        const pre = r.stdout.slice(r.stdout.indexOf("<pre>\n") + 6, r.stdout.indexOf("\n</pre>"));
        assert.doesNotMatch(pre, /\x1b\[/);
        assert.match(pre, /Policy Packs run:\n {4}Name {12}Version\n {4}kline-baseline {2}0\.1\.0/);
        assert.match(pre, /requests &lt;= limits/);
        assert.match(pre, /only &amp; may move; pin &lt;major\.minor&gt;/);
        assert.ok(pre.startsWith("Previewing update (acme/staging)"));
    });

    it("a preview that fails before the policy pack reports: says so, with the diagnostics", () => {
        const r = comment(["production", path.join(FIXTURES, "program-error.txt"), "1"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.split("\n")[0], "#### :tropical_drink: `preview` on kline-analytics/production");
        assert.match(r.stdout, /\*\*Preview failed\*\* \(pulumi exit 1\), not because of a policy\. The policy pack did not report/);
        assert.match(r.stdout, /```\nDiagnostics:\n[\s\S]*javaHeap: '8g' must leave room in the container memory limit 4Gi\n```/);
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
