// scripts/deploy.sh driven end to end with recording stand-ins for pulumi, kubectl and npm
// (tests/scripts/stand-ins/: the real Pulumi CLI and a cluster cannot run here). Each case runs
// the real script, copied into a scratch repository, with a PATH that holds nothing but the
// stand-ins and node, and asserts the exact sequence of commands it ran, refusals included.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireTool, runTool } from "../lib/tools";

const REPO = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(REPO, "scripts", "deploy.sh");
const STAND_INS = path.join(__dirname, "stand-ins");
const STACKS = ["development", "staging", "production", "canary"];
const BASH = "/bin/bash";

interface Result {
    status: number | null;
    stdout: string;
    stderr: string;
    calls: string[];
}

interface RunOptions {
    env?: Record<string, string | undefined>;
    /** stand-ins left off PATH, to simulate a missing tool */
    without?: string[];
    /** text typed on a terminal (runs the script under `script(1)` so stdin is a tty) */
    tty?: string;
}

/** A scratch copy of the repository layout the script needs, with an up-to-date npm install. */
class Workspace {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "kline-deploy-"));
    readonly home = path.join(this.root, "home");
    readonly bin = path.join(this.root, "bin");
    readonly log = path.join(this.root, "calls.log");

    constructor() {
        fs.mkdirSync(path.join(this.root, "scripts"));
        fs.copyFileSync(SCRIPT, path.join(this.root, "scripts", "deploy.sh"));
        for (const stack of STACKS) fs.writeFileSync(path.join(this.root, `Pulumi.${stack}.yaml`), "config: {}\n");
        fs.mkdirSync(this.home);
        const hourAgo = new Date(Date.now() - 3600_000);
        for (const dir of [this.root, path.join(this.root, "policy")]) {
            fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
            fs.writeFileSync(path.join(dir, "package-lock.json"), "{}\n");
            fs.utimesSync(path.join(dir, "package-lock.json"), hourAgo, hourAgo);
            fs.writeFileSync(path.join(dir, "node_modules", ".package-lock.json"), "{}\n");
        }
    }

    run(args: string[], opts: RunOptions = {}): Result {
        fs.rmSync(this.bin, { recursive: true, force: true });
        fs.mkdirSync(this.bin);
        for (const tool of ["pulumi", "kubectl", "npm"]) {
            if (!opts.without?.includes(tool)) fs.symlinkSync(path.join(STAND_INS, tool), path.join(this.bin, tool));
        }
        if (!opts.without?.includes("node")) fs.symlinkSync(process.execPath, path.join(this.bin, "node"));
        fs.writeFileSync(this.log, "");
        const env: Record<string, string> = {
            PATH: this.bin,
            HOME: this.home,
            SHELL: BASH,
            STANDIN_LOG: this.log,
            STANDIN_ROOT: this.root,
            PULUMI_ACCESS_TOKEN: "pul-stand-in-token",
            AWS_ACCESS_KEY_ID: "AKIASTANDIN",
            AWS_SECRET_ACCESS_KEY: "stand-in-secret",
        };
        for (const [k, v] of Object.entries(opts.env ?? {})) {
            if (v === undefined) delete env[k];
            else env[k] = v;
        }
        const script = path.join(this.root, "scripts", "deploy.sh");
        const proc =
            opts.tty === undefined
                ? spawnSync(BASH, [script, ...args], { env, input: "", encoding: "utf8" })
                : spawnSync(
                      requireTool("script", "apt-get install bsdutils (util-linux `script`)"),
                      ["-qec", [BASH, script, ...args].join(" "), "/dev/null"],
                      {
                          env,
                          input: opts.tty,
                          encoding: "utf8",
                      },
                  );
        const calls = fs
            .readFileSync(this.log, "utf8")
            .split("\n")
            .filter((l) => l !== "");
        return { status: proc.status, stdout: proc.stdout, stderr: proc.stderr, calls };
    }

    remove(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

const preview = (stack: string) => `pulumi preview --stack ${stack} --diff --non-interactive --policy-pack policy`;
const up = (stack: string) => `pulumi up --stack ${stack} --yes --non-interactive --policy-pack policy`;

describe("delivery: scripts/deploy.sh (stand-in pulumi/kubectl/npm)", () => {
    let ws: Workspace;
    beforeEach(() => {
        ws = new Workspace();
    });
    afterEach(() => ws.remove());

    it("deploys the staging stack by default: select, preview, then up", () => {
        const r = ws.run([]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["pulumi stack select staging", preview("staging"), up("staging")]);
    });

    it("checks the Pulumi login with `pulumi whoami` when no PULUMI_ACCESS_TOKEN is set", () => {
        const r = ws.run(["deploy"], { env: { PULUMI_ACCESS_TOKEN: undefined, ENVIRONMENT: "development" } });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["pulumi whoami", "pulumi stack select development", preview("development"), up("development")]);
    });

    it("deploys production with --yes without asking", () => {
        const r = ws.run(["--yes"], { env: { ENVIRONMENT: "production" } });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["pulumi stack select production", preview("production"), up("production")]);
    });

    it("refuses production without --yes when stdin is not a terminal, and runs nothing", () => {
        const r = ws.run(["up"], { env: { ENVIRONMENT: "production" } });
        assert.equal(r.status, 4);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /refusing to up the production stack without confirmation: there is no terminal/);
        assert.match(r.stderr, /re-run with --yes/);
    });

    it("treats canary like production: refused without --yes and no terminal", () => {
        const r = ws.run([], { env: { ENVIRONMENT: "canary" } });
        assert.equal(r.status, 4);
        assert.deepEqual(r.calls, []);
    });

    it("asks on a terminal after the preview and deploys production when the stack name is typed", () => {
        const r = ws.run([], { env: { ENVIRONMENT: "production" }, tty: "production\n" });
        assert.equal(r.status, 0, r.stdout);
        assert.match(r.stdout, /Type the stack name \(production\) to continue/);
        assert.deepEqual(r.calls, ["pulumi stack select production", preview("production"), up("production")]);
    });

    it("stops after the preview when the terminal answer is not the stack name", () => {
        const r = ws.run([], { env: { ENVIRONMENT: "production" }, tty: "yes\n" });
        assert.equal(r.status, 4, r.stdout);
        assert.match(r.stdout, /not confirmed; nothing was applied to production/);
        assert.deepEqual(r.calls, ["pulumi stack select production", preview("production")]);
    });

    it("refuses to destroy production, even with --yes, before running anything", () => {
        const r = ws.run(["destroy", "--yes"], { env: { ENVIRONMENT: "production" } });
        assert.equal(r.status, 4);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /refusing to destroy the production stack/);
    });

    it("destroys a non-production stack with --yes: destroy preview, then destroy", () => {
        const r = ws.run(["destroy", "--yes"], { env: { ENVIRONMENT: "development" } });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "pulumi stack select development",
            "pulumi destroy --stack development --preview-only --non-interactive",
            "pulumi destroy --stack development --yes --non-interactive",
        ]);
    });

    it("refuses destroy without --yes and without a terminal", () => {
        const r = ws.run(["destroy"], { env: { ENVIRONMENT: "staging" } });
        assert.equal(r.status, 4);
        assert.deepEqual(r.calls, []);
    });

    it("status shows the stack outputs and the rollout of the stack's Deployment", () => {
        const r = ws.run(["status"]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "pulumi stack select staging",
            "pulumi stack output --stack staging",
            "kubectl rollout status deployment/kline-analytics --namespace kline-analytics-staging --timeout=120s",
        ]);
        assert.match(r.stdout, /successfully rolled out/);
    });

    it("status of canary watches the canary Deployment in the production namespace", () => {
        const r = ws.run(["status"], { env: { ENVIRONMENT: "canary" } });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            r.calls[2],
            "kubectl rollout status deployment/kline-analytics-canary --namespace kline-analytics-production --timeout=120s",
        );
    });

    it("status honours NAMESPACE and fails, naming the deployment, when the rollout does not finish", () => {
        const r = ws.run(["status"], { env: { NAMESPACE: "kline-blue", STANDIN_KUBECTL_ROLLOUT_FAIL: "1" } });
        assert.equal(r.status, 1);
        assert.equal(r.calls[2], "kubectl rollout status deployment/kline-analytics --namespace kline-blue --timeout=120s");
        assert.match(r.stderr, /deployment\/kline-analytics in namespace kline-blue is not rolled out/);
    });

    it("preview runs the preview only", () => {
        const r = ws.run(["preview"], { env: { ENVIRONMENT: "canary" } });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["pulumi stack select canary", preview("canary")]);
    });

    it("deploys when AWS_REGION and NAMESPACE agree with the stack config (namespace default applies)", () => {
        const r = ws.run([], {
            env: { AWS_REGION: "us-west-2", NAMESPACE: "kline-analytics-staging", STANDIN_PULUMI_CONFIG: "aws:region=us-west-2" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "pulumi stack select staging",
            "pulumi config get --stack staging aws:region",
            "pulumi config get --stack staging kline-analytics:namespace",
            preview("staging"),
            up("staging"),
        ]);
    });

    it("refuses, before any preview, when AWS_REGION differs from the stack's aws:region", () => {
        const r = ws.run([], { env: { AWS_REGION: "eu-central-1", STANDIN_PULUMI_CONFIG: "aws:region=us-west-2" } });
        assert.equal(r.status, 2);
        assert.deepEqual(r.calls, ["pulumi stack select staging", "pulumi config get --stack staging aws:region"]);
        assert.match(
            r.stderr,
            /AWS_REGION=eu-central-1 but the staging stack is configured for aws:region 'us-west-2'\. Nothing was run\./,
        );
        assert.match(r.stderr, /pulumi config set --stack staging aws:region eu-central-1/);
    });

    it("refuses when NAMESPACE differs from the stack's namespace; canary checks productionNamespace", () => {
        const staging = ws.run(["preview"], {
            env: { NAMESPACE: "kline-analytics", STANDIN_PULUMI_CONFIG: "kline-analytics:namespace=kline-analytics-staging" },
        });
        assert.equal(staging.status, 2);
        assert.match(
            staging.stderr,
            /NAMESPACE=kline-analytics but the staging stack deploys to namespace 'kline-analytics-staging' \(config kline-analytics:namespace\)/,
        );
        assert.ok(!staging.calls.some((c) => c.startsWith("pulumi preview")));
        const canary = ws.run(["preview"], { env: { ENVIRONMENT: "canary", NAMESPACE: "kline-analytics-canary" } });
        assert.equal(canary.status, 2);
        assert.deepEqual(canary.calls, [
            "pulumi stack select canary",
            "pulumi config get --stack canary kline-analytics:productionNamespace",
        ]);
        assert.match(canary.stderr, /deploys to namespace 'kline-analytics-production' \(config kline-analytics:productionNamespace\)/);
    });

    it("status warns when BACKUP_S3_BUCKET is not the stack's backup bucket", () => {
        const r = ws.run(["status"], {
            env: { BACKUP_S3_BUCKET: "old-backups", STANDIN_PULUMI_OUTPUTS: "backupBucket=kline-analytics-staging-backups-1a2b" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "pulumi stack select staging",
            "pulumi stack output --stack staging",
            "pulumi stack output --stack staging backupBucket",
            "kubectl rollout status deployment/kline-analytics --namespace kline-analytics-staging --timeout=120s",
        ]);
        assert.match(
            r.stderr,
            /warning: BACKUP_S3_BUCKET=old-backups but the staging stack's backup bucket is kline-analytics-staging-backups-1a2b/,
        );
        const same = ws.run(["status"], {
            env: {
                BACKUP_S3_BUCKET: "kline-analytics-staging-backups-1a2b",
                STANDIN_PULUMI_OUTPUTS: "backupBucket=kline-analytics-staging-backups-1a2b",
            },
        });
        assert.doesNotMatch(same.stderr, /warning/);
    });

    it("with PULUMI_ORG (as the workflows set it) every pulumi call names <org>/<stack>", () => {
        const env = { PULUMI_ORG: "acme", STANDIN_PULUMI_STACKS: "acme/staging", BACKUP_S3_BUCKET: "kline-backups" };
        const r = ws.run(["status"], { env });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "pulumi stack select acme/staging",
            "pulumi stack output --stack acme/staging",
            "pulumi stack output --stack acme/staging backupBucket",
            "kubectl rollout status deployment/kline-analytics --namespace kline-analytics-staging --timeout=120s",
        ]);
        const u = ws.run([], { env });
        assert.equal(u.status, 0, u.stderr);
        assert.deepEqual(u.calls, ["pulumi stack select acme/staging", preview("acme/staging"), up("acme/staging")]);
        const bad = ws.run(["status"], { env: { PULUMI_ORG: "acme corp" } });
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /PULUMI_ORG='acme corp' is not a Pulumi organization name/);
        assert.deepEqual(bad.calls, []);
    });

    it("never runs up when the preview fails", () => {
        const r = ws.run([], { env: { STANDIN_PULUMI_FAIL: "preview" } });
        assert.equal(r.status, 1);
        assert.deepEqual(r.calls, ["pulumi stack select staging", preview("staging")]);
        assert.match(r.stderr, /preview of staging failed.*nothing was applied/);
    });

    it("rejects an unknown ENVIRONMENT, naming the value and the four stacks", () => {
        const r = ws.run([], { env: { ENVIRONMENT: "prod" } });
        assert.equal(r.status, 2);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /ENVIRONMENT='prod' is not a stack.*one of: development staging production canary/);
    });

    it("--stack, --stack= and -s select the stack, as ENVIRONMENT does", () => {
        for (const args of [["--stack", "development"], ["--stack=development"], ["-s", "development"], ["--stack", "development", "up"]]) {
            const r = ws.run(args);
            assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
            assert.deepEqual(r.calls, ["pulumi stack select development", preview("development"), up("development")], args.join(" "));
        }
        const status = ws.run(["status", "--stack", "canary"]);
        assert.equal(status.status, 0, status.stderr);
        assert.equal(
            status.calls[2],
            "kubectl rollout status deployment/kline-analytics-canary --namespace kline-analytics-production --timeout=120s",
        );
        // the production safeguards follow the stack, however it is named
        const refused = ws.run(["--stack", "production"]);
        assert.equal(refused.status, 4);
        assert.deepEqual(refused.calls, []);
        assert.match(refused.stderr, /refusing to up the production stack without confirmation/);
        const destroy = ws.run(["destroy", "--yes", "--stack=production"]);
        assert.equal(destroy.status, 4);
        assert.match(destroy.stderr, /refusing to destroy the production stack/);
    });

    it("--stack and ENVIRONMENT naming the same stack is fine; an empty ENVIRONMENT leaves --stack alone", () => {
        for (const env of [{ ENVIRONMENT: "development" }, { ENVIRONMENT: "" }]) {
            const r = ws.run(["preview", "--stack", "development"], { env });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.calls, ["pulumi stack select development", preview("development")]);
        }
    });

    it("refuses an empty, missing or unknown --stack before running anything, naming the allowed stacks", () => {
        for (const [args, said] of [
            [["--stack", "prod"], "--stack 'prod' is not a stack of this project"],
            [["--stack=Production"], "--stack 'Production' is not a stack of this project"],
            [["--stack="], "--stack needs a stack name"],
            [["--stack", ""], "--stack needs a stack name"],
            [["preview", "--stack"], "--stack needs a stack name"],
            [["--stack", "--yes"], "--stack needs a stack name"],
            [["-s", "qa"], "-s 'qa' is not a stack of this project"],
        ] as [string[], string][]) {
            const r = ws.run(args, { env: { ENVIRONMENT: "staging" } });
            assert.equal(r.status, 2, args.join(" "));
            assert.deepEqual(r.calls, [], args.join(" "));
            assert.ok(r.stderr.includes(said), `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, /allowed stacks: development staging production canary/, args.join(" "));
        }
    });

    it("refuses --stack and ENVIRONMENT naming different stacks, naming both, and runs nothing", () => {
        const r = ws.run(["--yes", "--stack", "staging"], { env: { ENVIRONMENT: "production" } });
        assert.equal(r.status, 2);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /--stack staging and ENVIRONMENT=production name different stacks; nothing was run/);
        const twice = ws.run(["--stack", "staging", "--stack=production"]);
        assert.equal(twice.status, 2);
        assert.deepEqual(twice.calls, []);
        assert.match(twice.stderr, /two different stacks given \('staging' and 'production'\)/);
    });

    it("rejects bad NAMESPACE, AWS_REGION and BACKUP_S3_BUCKET values before running anything", () => {
        for (const [key, value] of [
            ["NAMESPACE", "Kline_Prod"],
            ["AWS_REGION", "mars"],
            ["BACKUP_S3_BUCKET", "Bad_Bucket"],
        ]) {
            const r = ws.run(["preview"], { env: { [key]: value } });
            assert.equal(r.status, 2, `${key}=${value}`);
            assert.deepEqual(r.calls, []);
            assert.match(r.stderr, new RegExp(`${key}='${value}'`));
        }
    });

    it("rejects unknown commands and options with the allowed ones", () => {
        const cmd = ws.run(["rollback"]);
        assert.equal(cmd.status, 2);
        assert.match(cmd.stderr, /unknown command 'rollback'; allowed: up \(default\), deploy, preview, status, destroy/);
        const opt = ws.run(["--force"]);
        assert.equal(opt.status, 2);
        assert.match(opt.stderr, /unknown option '--force'; allowed: --stack <name>, --yes, --help/);
        assert.deepEqual(opt.calls, []);
    });

    it("--help documents the commands and the environment variables without running anything", () => {
        const r = ws.run(["--help"]);
        assert.equal(r.status, 0);
        assert.deepEqual(r.calls, []);
        for (const word of [
            "preview",
            "status",
            "destroy",
            "--stack <name>",
            "--stack=<name>",
            "--yes",
            "NAMESPACE",
            "ENVIRONMENT",
            "BACKUP_S3_BUCKET",
            "AWS_REGION",
        ]) {
            assert.ok(r.stdout.includes(word), `--help mentions ${word}`);
        }
    });

    it("fails with the install hint when pulumi is missing", () => {
        const r = ws.run([], { without: ["pulumi"] });
        assert.equal(r.status, 3);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /'pulumi' was not found on PATH\. Install the Pulumi CLI/);
    });

    it("fails with the fix when kubectl is missing for status", () => {
        const r = ws.run(["status"], { without: ["kubectl"] });
        assert.equal(r.status, 3);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /'kubectl' was not found on PATH\. Install kubectl/);
    });

    it("fails with the fix when not logged in to Pulumi", () => {
        const r = ws.run([], { env: { PULUMI_ACCESS_TOKEN: undefined, STANDIN_PULUMI_LOGGED_OUT: "1" } });
        assert.equal(r.status, 3);
        assert.deepEqual(r.calls, ["pulumi whoami"]);
        assert.match(r.stderr, /not logged in to a Pulumi backend\. Run 'pulumi login'.*or export PULUMI_ACCESS_TOKEN/);
    });

    it("fails with the fix when no AWS credentials are available", () => {
        const r = ws.run([], { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } });
        assert.equal(r.status, 3);
        assert.deepEqual(r.calls, []);
        assert.match(r.stderr, /no AWS credentials found.*Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE/);
    });

    it("accepts ~/.aws/credentials as AWS credentials", () => {
        fs.mkdirSync(path.join(ws.home, ".aws"));
        fs.writeFileSync(path.join(ws.home, ".aws", "credentials"), "[default]\n");
        const r = ws.run(["preview"], { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } });
        assert.equal(r.status, 0, r.stderr);
    });

    it("fails naming `pulumi stack init` when the stack does not exist in the backend", () => {
        const r = ws.run([], { env: { STANDIN_PULUMI_STACKS: "development" } });
        assert.equal(r.status, 3);
        assert.deepEqual(r.calls, ["pulumi stack select staging"]);
        assert.match(r.stderr, /stack 'staging' does not exist.*pulumi stack init staging/);
    });

    it("skips npm ci when node_modules is newer than package-lock.json", () => {
        const r = ws.run(["preview"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.calls.filter((c) => c.includes("npm")).length, 0);
    });

    it("runs npm ci --ignore-scripts where node_modules is missing or older than the lockfile, then not again", () => {
        fs.rmSync(path.join(ws.root, "node_modules"), { recursive: true });
        const twoHoursAgo = new Date(Date.now() - 7200_000);
        fs.utimesSync(path.join(ws.root, "policy", "node_modules", ".package-lock.json"), twoHoursAgo, twoHoursAgo);
        const first = ws.run(["preview"]);
        assert.equal(first.status, 0, first.stderr);
        assert.deepEqual(first.calls, [
            "npm ci --ignore-scripts",
            "(policy) npm ci --ignore-scripts",
            "pulumi stack select staging",
            preview("staging"),
        ]);
        const second = ws.run(["preview"]);
        assert.deepEqual(second.calls, ["pulumi stack select staging", preview("staging")]);
    });

    it("is shellcheck clean (script and stand-ins)", () => {
        const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/delivery.txt)");
        const files = [SCRIPT, ...["pulumi", "kubectl", "npm"].map((f) => path.join(STAND_INS, f))];
        runTool(shellcheck, ["--severity=style", ...files]);
    });
});
