// docs/operations.md stays true to the code: the commands it tells operators to run name real
// scripts, options, config keys, secrets and policies. A renamed key or policy fails here.
import { USAGE } from "../../components/backup/logical/help";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ruleParamsFor } from "../../components/monitoring/params";
import { allAlerts, buildRuleGroups } from "../../components/monitoring/rules";
import { BASELINE } from "../../policy/rules/baseline";
import { CANARY, ruleTarget } from "../monitoring/deployment";
import { renderStack } from "../harness";

const REPO = path.resolve(__dirname, "..", "..");
const DOC = fs.readFileSync(path.join(REPO, "docs", "operations.md"), "utf8");
const STACKS = ["development", "staging", "production", "canary"];

/** Shell lines inside ```bash blocks, continuation-free. */
const shellLines = [...DOC.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).filter((l) => l.trim() !== "");
/** A line without its trailing comment. */
const command = (line: string) => line.replace(/\s+#\s.*$/, "").trim();

describe("delivery: docs/operations.md matches the code", () => {
    it("lists every baseline policy, in the pack's order", () => {
        const section = DOC.slice(DOC.indexOf("## The policy pack"), DOC.indexOf("## Backups"));
        const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` \| /gm)].map((m) => m[1]);
        assert.deepEqual(
            rows,
            BASELINE.map((r) => r.name),
        );
    });

    it("every `npm run` script it mentions exists", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts;
        const used = new Set([...DOC.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]));
        assert.ok(used.has("synth") && used.has("policy"));
        for (const s of used) assert.ok(scripts[s], `npm run ${s}`);
    });

    it("every config key it sets or reads is declared in Pulumi.yaml", () => {
        const declared = Object.keys(parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")).config);
        const keys = shellLines
            .map(command)
            .flatMap((l) => [...l.matchAll(/pulumi config (?:set|get|rm) (.*?)(?:;|&&|$)/g)].map((m) => m[1]))
            .map((args) => args.split(/\s+/).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--stack")[0]);
        assert.ok(keys.length >= 8, `found ${keys.length} config commands`);
        for (const key of keys) {
            if (/^(aws|kubernetes):/.test(key)) continue;
            assert.ok(declared.includes(key.replace(/^kline-analytics:/, "")), `config key ${key} is not in Pulumi.yaml`);
        }
    });

    it("every deploy.sh call uses a real stack, command and option", () => {
        const calls = shellLines.map(command).filter((l) => l.includes("./scripts/deploy.sh"));
        assert.ok(calls.length >= 8);
        for (const call of calls) {
            const env = /ENVIRONMENT=(\S+)/.exec(call)?.[1];
            if (env && !env.startsWith("<")) assert.ok(STACKS.includes(env), call);
            const args = call.split("./scripts/deploy.sh")[1].split(/&&|;/)[0].trim().split(/\s+/).filter(Boolean);
            for (let i = 0; i < args.length; i++) {
                if (args[i] === "--stack") {
                    const stack = args[++i];
                    if (!stack?.startsWith("<")) assert.ok(STACKS.includes(stack), `${call}: --stack ${stack}`);
                    continue;
                }
                assert.ok(["up", "deploy", "preview", "status", "destroy", "--yes"].includes(args[i]), `${call}: ${args[i]}`);
            }
        }
    });

    it("every backup-restore.sh call uses a command and options the script documents", () => {
        const help = USAGE; // what `backup-restore.sh --help` prints (the program's usage text)
        const calls = shellLines.map(command).filter((l) => l.startsWith("./scripts/backup-restore.sh"));
        const commands = new Set(calls.map((c) => c.split(/\s+/)[1]));
        assert.deepEqual([...commands].sort(), ["backup", "list", "restore", "validate"]);
        for (const c of calls) {
            for (const opt of c.match(/--[a-z-]+/g) ?? []) assert.ok(help.includes(opt), `${c}: ${opt}`);
        }
    });

    it("documents exactly the secrets the workflows use, and the workflow files that exist", () => {
        const dir = path.join(REPO, ".github", "workflows");
        const text = fs
            .readdirSync(dir)
            .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
            .join("\n");
        const used = new Set([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]).filter((s) => s !== "GITHUB_TOKEN"));
        for (const s of used) assert.ok(DOC.includes(`\`${s}\``), `secret ${s} is not documented`);
        for (const f of fs.readdirSync(dir)) assert.ok(DOC.includes(`\`${f}\``), `workflow ${f} is not documented`);
        assert.ok(text.includes("vars.PULUMI_ORG") && DOC.includes("`PULUMI_ORG`"));
    });

    it("the release runbook lists every canary alert with its threshold, `for` and severity, as the canary's PrometheusRule has them", () => {
        const table = DOC.slice(DOC.indexOf("<!-- canary-alerts:start -->"), DOC.indexOf("<!-- canary-alerts:end -->"));
        const rows = new Map(
            [...table.matchAll(/^\| `(KlineAnalytics\w+)` \| (.*?) \| (\S+) \| (\w+) \|$/gm)].map((m) => [
                m[1],
                { when: m[2], for: m[3], severity: m[4] },
            ]),
        );
        const alerts = allAlerts(buildRuleGroups(ruleParamsFor(ruleTarget(CANARY))));
        assert.deepEqual([...rows.keys()].sort(), [...new Set(alerts.map((a) => a.alert))].sort());
        for (const a of alerts) {
            const row = rows.get(a.alert)!;
            assert.equal(row.for, a.for ?? "-", `${a.alert}: for`);
            assert.equal(row.severity, a.labels.severity, `${a.alert}: severity`);
            const threshold = /> ([\d.]+)$/.exec(a.expr)?.[1];
            if (threshold && Number(threshold) > 0) {
                const v = Number(threshold);
                const shown = [`${v} s`, `${+(v * 100).toFixed(2)}%`, `more than ${v} `];
                assert.ok(
                    shown.some((x) => row.when.includes(x)),
                    `${a.alert}: threshold ${v} not in "${row.when}"`,
                );
            }
        }
        // the watch lasts longer than the longest `for` plus the 5-minute rate windows
        const longest = Math.max(...alerts.map((a) => parseInt(a.for ?? "0", 10)));
        const watch = Number(/Watch the canary for (\d+) minutes/.exec(DOC)?.[1]);
        assert.ok(watch >= longest + 5, `watching ${watch} minutes, longest for ${longest}m`);
    });

    it("the drift section and the CI table say when drift.yml runs, as its schedule does", () => {
        const drift = parse(fs.readFileSync(path.join(REPO, ".github", "workflows", "drift.yml"), "utf8"));
        const [minute, hour] = drift.on.schedule[0].cron.split(" ");
        assert.ok(DOC.includes(`every day at ${hour.padStart(2, "0")}:${minute.padStart(2, "0")} UTC`));
        assert.ok(DOC.includes("./scripts/drift-check.sh --stack production"));
    });

    it("lists the stack outputs the program exports", async () => {
        const outputs = Object.keys((await renderStack("staging")).outputs).sort();
        const line = /^Stack outputs .*?:(.*?)\.$/ms.exec(DOC)?.[1] ?? "";
        const documented = [...line.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]).sort();
        assert.deepEqual(documented, outputs);
    });
});
