// The GitHub workflows (.github/workflows): actionlint (built by .ci/setup/40-actionlint.sh, with
// shellcheck over every `run:` script) must pass them and must catch broken copies; then the
// delivery contract itself — what runs on pull requests, what deploys where, pins, permissions.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { requireTool } from "../lib/tools";

const REPO = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(REPO, ".github", "workflows");
const STACKS = ["development", "staging", "production", "canary"];

const load = (name: string): any => parse(fs.readFileSync(path.join(WORKFLOWS, name), "utf8"));

function actionlint(files: string[], cwd = REPO): { status: number | null; out: string } {
    const bin = requireTool("actionlint", "bash .ci/setup/40-actionlint.sh (go install github.com/rhysd/actionlint/cmd/actionlint)");
    const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/delivery.txt)");
    const proc = spawnSync(bin, ["-no-color", "-oneline", "-shellcheck", shellcheck, ...files], { cwd, encoding: "utf8" });
    return { status: proc.status, out: `${proc.stdout}${proc.stderr}` };
}

/** Every `uses:` in a workflow: job-level (reusable workflows) and step-level (actions). */
function allUses(wf: any): string[] {
    const out: string[] = [];
    for (const job of Object.values<any>(wf.jobs ?? {})) {
        if (job.uses) out.push(job.uses);
        for (const step of job.steps ?? []) if (step.uses) out.push(step.uses);
    }
    return out;
}

function steps(wf: any, job: string): any[] {
    return wf.jobs[job].steps ?? [];
}

describe("delivery: GitHub workflows", () => {
    const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

    it("are the five expected workflows", () => {
        assert.deepEqual(files.sort(), ["checks.yml", "drift.yml", "pull-request.yml", "pulumi-up.yml", "release.yml"]);
    });

    it("pass actionlint, shellcheck of run: scripts included", () => {
        const r = actionlint(files.map((f) => path.join(".github", "workflows", f)));
        assert.equal(r.status, 0, r.out);
    });

    it("actionlint catches a broken copy (unknown job, undefined matrix key, unquoted shell variable)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-actionlint-"));
        try {
            const wfDir = path.join(dir, ".github", "workflows");
            fs.mkdirSync(wfDir, { recursive: true });
            const broken = fs
                .readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8")
                .replace("needs: checks", "needs: check")
                .replace("role-session-name: kline-preview-${{ matrix.stack }}", "role-session-name: kline-preview-${{ matrix.stacks }}")
                .replace('install -d -m 700 "${RUNNER_TEMP}/kube"', "install -d -m 700 $RUNNER_TEMP/kube");
            fs.writeFileSync(path.join(wfDir, "pull-request.yml"), broken);
            fs.copyFileSync(path.join(WORKFLOWS, "checks.yml"), path.join(wfDir, "checks.yml"));
            const r = actionlint([path.join(".github", "workflows", "pull-request.yml")], dir);
            assert.notEqual(r.status, 0);
            assert.match(r.out, /job "preview" needs job "check" which does not exist/);
            assert.match(r.out, /property "stacks" is not defined/);
            assert.match(r.out, /SC2086/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("pin every action and reusable workflow to an exact version tag or commit", () => {
        for (const f of files) {
            for (const uses of allUses(load(f))) {
                if (uses.startsWith("./")) continue;
                assert.match(uses, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${f}: ${uses}`);
            }
        }
    });

    it("grant least privilege: read-only by default, writes only where a job needs them", () => {
        const allowedWrites: Record<string, string[]> = {
            "pull-request.yml:preview": ["id-token", "pull-requests"],
            "release.yml:development": ["id-token"],
            "release.yml:staging": ["id-token"],
            "release.yml:canary": ["id-token"],
            "release.yml:production": ["id-token"],
            "pulumi-up.yml:up": ["id-token"],
            "drift.yml:drift": ["id-token", "issues"],
        };
        for (const f of files) {
            const wf = load(f);
            assert.deepEqual(wf.permissions, { contents: "read" }, `${f}: top-level permissions`);
            for (const [name, job] of Object.entries<any>(wf.jobs)) {
                if (!job.permissions) continue;
                const writes = Object.entries(job.permissions)
                    .filter(([, v]) => v === "write")
                    .map(([k]) => k)
                    .sort();
                assert.deepEqual(writes, allowedWrites[`${f}:${name}`] ?? [], `${f}:${name}`);
            }
        }
    });

    it("pull requests: npm test (which sets itself up), synth of all stacks uploaded, policy check", () => {
        const pr = load("pull-request.yml");
        assert.deepEqual(Object.keys(pr.on), ["pull_request"]);
        assert.equal(pr.jobs.checks.uses, "./.github/workflows/checks.yml");
        assert.equal(pr.concurrency["cancel-in-progress"], true);
        const checks = load("checks.yml");
        const runs = (job: string) =>
            steps(checks, job)
                .map((s) => s.run)
                .filter(Boolean);
        const test = runs("test");
        assert.ok(test.indexOf("npm ci --ignore-scripts --no-audit --no-fund") >= 0);
        assert.ok(test.indexOf("npm test") > test.indexOf("npm ci --ignore-scripts --no-audit --no-fund"), "npm test after npm ci");
        // npm test is the README's one command: it installs .ci/apt, builds .ci/setup and runs every suite.
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
        assert.equal(pkg.scripts.test, "bash .ci/test.sh");
        const script = fs.readFileSync(path.join(REPO, ".ci", "test.sh"), "utf8");
        for (const part of [".ci/apt/*.txt", ".ci/setup/*.sh", "npm run --silent verify", "npm run --silent e2e"]) {
            assert.ok(script.includes(part), `.ci/test.sh does not run ${part}`);
        }
        const synth = runs("synth");
        assert.ok(
            synth.indexOf("npm run synth -- --all") >= 0 && synth.indexOf("npm run synth -- --all") < synth.indexOf("npm run policy"),
        );
        const upload = steps(checks, "synth").find((s) => String(s.uses).startsWith("actions/upload-artifact@"));
        assert.equal(upload.with.path, "out/");
        assert.equal(upload.with["if-no-files-found"], "error");
    });

    it("pull requests: pulumi preview --diff of each of the four stacks with the policy pack, secrets from GitHub", () => {
        const pr = load("pull-request.yml");
        const preview = pr.jobs.preview;
        assert.deepEqual(preview.needs, "checks");
        assert.deepEqual(preview.strategy.matrix.stack, STACKS);
        const names = steps(pr, "preview").map((s) => s.run ?? "");
        assert.ok(
            names.some((r: string) => r.includes("npm ci")),
            "installs the program",
        );
        assert.equal(
            steps(pr, "preview").find((s) => s["working-directory"] === "policy")?.run,
            "npm ci --ignore-scripts --no-audit --no-fund",
        );
        const pulumi = steps(pr, "preview").find((s) => String(s.uses).startsWith("pulumi/actions@"));
        assert.equal(pulumi.with.command, "preview");
        assert.equal(pulumi.with.diff, true);
        assert.equal(pulumi.with.policyPacks, "policy");
        assert.equal(pulumi.with["stack-name"], "${{ env.STACK_NAME }}");
        assert.match(preview.env.STACK_NAME, /matrix\.stack/);
        assert.equal(pulumi.env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    });

    it("pull requests: each stack's preview is a PR comment with the policy pack's result, posted even when the preview fails", () => {
        const pr = load("pull-request.yml");
        const all = steps(pr, "preview");
        const pulumi = all.find((s) => String(s.uses).startsWith("pulumi/actions@"));
        // success: pulumi/actions posts (and on the next push edits) the preview output, which ends
        // with the "Policy Packs run:" table and lists advisory violations
        assert.equal(pulumi.id, "preview");
        assert.equal(pulumi.with["comment-on-pr"], true);
        assert.equal(pulumi.with["edit-pr-comment"], true);
        assert.equal(pulumi.with.diff, true);
        assert.equal(pulumi.with.policyPacks, "policy");
        assert.equal(pulumi.with["github-token"], "${{ secrets.GITHUB_TOKEN }}");
        // failure (pulumi/actions comments only on success): the next step posts the same comment
        // with the violations or the error on top, then fails the job
        const post = all[all.indexOf(pulumi) + 1];
        assert.equal(post.name, "Post the failed preview on the pull request");
        assert.equal(post.if, "failure() && steps.preview.outcome == 'failure'");
        const run: string[] = post.run.trim().split("\n");
        assert.match(
            run[1],
            /^pulumi preview --diff --policy-pack policy --stack "\$\{STACK_NAME\}" --non-interactive > "\$\{RUNNER_TEMP\}\/preview\.txt" 2>&1 \|\| rc=\$\?$/,
        );
        assert.equal(
            run[2],
            './scripts/preview-comment.sh "${STACK_NAME}" "${RUNNER_TEMP}/preview.txt" "${rc}" > "${RUNNER_TEMP}/comment.md"',
        );
        assert.ok(
            run.some((l) =>
                /gh api --method PATCH "repos\/\$\{GH_REPO\}\/issues\/comments\/\$\{id\}" -F "body=@\$\{RUNNER_TEMP\}\/comment\.md"/.test(
                    l,
                ),
            ),
            "edits the stack's comment when there is one",
        );
        assert.ok(run.some((l) => /gh pr comment "\$\{PR\}" --body-file "\$\{RUNNER_TEMP\}\/comment\.md"/.test(l)));
        assert.equal(run.at(-1), "exit 1", "a failed preview still fails the job");
        assert.equal(post.env.PR, "${{ github.event.pull_request.number }}");
        assert.equal(post.env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
        assert.equal(pr.jobs.preview.permissions["pull-requests"], "write");
    });

    it("drift: every morning and on demand, each of the four stacks checked by drift-check.sh with the read-only preview credentials", () => {
        const drift = load("drift.yml");
        assert.deepEqual(Object.keys(drift.on).sort(), ["schedule", "workflow_dispatch"]);
        assert.deepEqual(drift.on.schedule, [{ cron: "17 5 * * *" }]);
        assert.equal(drift.concurrency["cancel-in-progress"], false);
        const job = drift.jobs.drift;
        assert.deepEqual(job.strategy.matrix.stack, STACKS);
        assert.equal(job.strategy["fail-fast"], false, "one drifted stack does not stop the others' checks");
        assert.equal(job.environment, undefined, "no deployment environment: its write credentials stay out");
        const all = steps(drift, "drift");
        // the same read-only credentials as pull-request previews, never the deploy role or kubeconfig
        const pr = load("pull-request.yml");
        const creds = (wf: any, job: string) => {
            const s = steps(wf, job);
            const aws = s.find((x) => String(x.uses).startsWith("aws-actions/configure-aws-credentials@"));
            const kube = s.find((x) => x.env?.KUBECONFIG_DATA);
            return [aws.uses, aws.with["role-to-assume"], kube.env.KUBECONFIG_DATA, kube.run];
        };
        assert.deepEqual(creds(drift, "drift"), creds(pr, "preview"));
        assert.equal(creds(drift, "drift")[1], "${{ secrets.AWS_PREVIEW_ROLE_ARN }}");
        assert.doesNotMatch(fs.readFileSync(path.join(WORKFLOWS, "drift.yml"), "utf8"), /AWS_DEPLOY_ROLE_ARN|secrets\.KUBECONFIG_DATA/);
        const install = all.find((s) => String(s.uses).startsWith("pulumi/actions@"));
        assert.deepEqual(install.with, { "pulumi-version": "3.248.0" }, "install only: the script runs the commands");
        const check = all.find((s) => s.id === "drift");
        assert.match(check.run, /\.\/scripts\/drift-check\.sh --stack "\$\{STACK\}" --out "\$\{RUNNER_TEMP\}\/drift" \|\| rc=\$\?/);
        assert.match(check.run, /exit "\$\{rc\}"/, "the job fails when the script does");
        assert.equal(check.env.STACK, "${{ matrix.stack }}");
        assert.equal(check.env.PULUMI_ORG, "${{ vars.PULUMI_ORG }}");
        // the script runs pulumi in one place, for exactly the two read-only commands, each with --expect-no-changes
        const scriptLines = fs.readFileSync(path.join(REPO, "scripts", "drift-check.sh"), "utf8").split("\n");
        const lines = scriptLines.slice(scriptLines.indexOf("EOF") + 1); // the code after the --help text
        assert.deepEqual(
            lines.filter((l) => /^\s*pulumi\s/.test(l)).map((l) => l.trim()),
            ['pulumi "$@" >"$out/$name.json" 2>"$out/$name.err" || rc=$?'],
        );
        assert.deepEqual(
            lines.filter((l) => /^\s*run_check\s/.test(l)).map((l) => l.trim()),
            [
                'run_check refresh refresh --stack "$full" --preview-only --expect-no-changes --json --non-interactive',
                'run_check preview preview --stack "$full" --expect-no-changes --json --non-interactive',
            ],
        );
        // drift (exit 1) opens or comments on the stack's issue; a clean run closes it
        const open = all.find((s) => s.name === "Open or update the drift issue");
        assert.equal(open.if, "failure() && steps.drift.outputs.result == '1'");
        assert.match(open.run, /title="Drift detected: \$\{STACK\}"/);
        assert.match(open.run, /gh issue comment "\$\{number\}" --body-file "\$\{body\}"/);
        assert.match(open.run, /gh issue create --title "\$\{title\}" --label drift --body-file "\$\{body\}"/);
        assert.match(open.run, /body="\$\{RUNNER_TEMP\}\/drift\/summary\.md"/);
        const close = all.find((s) => s.name === "Close the drift issue (no drift any more)");
        assert.equal(close.if, "success()");
        assert.match(close.run, /gh issue close "\$\{number\}"/);
    });

    it("releases: main deploys development then staging; tags deploy canary, then production", () => {
        const rel = load("release.yml");
        assert.deepEqual(rel.on.push.branches, ["main"]);
        assert.equal(rel.concurrency["cancel-in-progress"], false);
        const deploy = (job: string) => rel.jobs[job];
        for (const stack of STACKS) {
            assert.equal(deploy(stack).uses, "./.github/workflows/pulumi-up.yml");
            assert.equal(deploy(stack).with.stack, stack);
        }
        assert.equal(deploy("development").needs, "checks");
        assert.equal(deploy("staging").needs, "development");
        assert.equal(deploy("canary").needs, "checks");
        assert.equal(deploy("production").needs, "canary");
        assert.match(deploy("production").if, /refs\/tags\/v/);
        assert.match(deploy("development").if, /refs\/heads\/main/);
    });

    it("a deployment runs in the stack's GitHub environment, previews with the policy pack, then runs up", () => {
        const up = load("pulumi-up.yml");
        const job = up.jobs.up;
        assert.equal(job.environment, "${{ inputs.stack }}");
        assert.equal(job.concurrency["cancel-in-progress"], false);
        const pulumiSteps = steps(up, "up").filter((s) => String(s.uses).startsWith("pulumi/actions@"));
        assert.deepEqual(
            pulumiSteps.map((s) => [s.with.command, s.with.policyPacks]),
            [
                ["preview", "policy"],
                ["up", "policy"],
            ],
        );
        assert.ok(
            pulumiSteps.every((s) => s.with["pulumi-version"] === "3.248.0"),
            "Pulumi CLI pinned to the SDK's version",
        );
        // the stack goes in by --stack, from an env variable (no ${{ }} expansion inside the script)
        const last = steps(up, "up").at(-1);
        assert.equal(last.run, './scripts/deploy.sh status --stack "${STACK}"');
        assert.equal(last.env.STACK, "${{ inputs.stack }}");
        assert.equal(last.env.ENVIRONMENT, undefined, "one way of naming the stack, not two");
    });
});
