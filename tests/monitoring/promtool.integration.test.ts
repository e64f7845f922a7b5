// The rule groups, checked and unit-tested with the real promtool on the files
// `npm run rules:export` writes: every alert fires in a realistic failure with exactly the
// expected labels and annotations, and stays silent on a healthy production + canary.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { allAlerts, RuleGroup } from "../../components/monitoring/rules";
import { placeholderAlertmanagerParams } from "../../components/monitoring/params";
import { exportMonitoring, ExportedFiles, namespaceOf } from "../../tools/export-rules";
import { requireTool, runTool } from "../lib/tools";
import { MONITORING_NS, NS, RUNBOOK } from "./deployment";
import { buildTestFiles, rulesWithoutFiringCase } from "./promtool-tests";

const PROMTOOL_HINT = "apt-get install prometheus (Debian package listed in .ci/apt/monitoring.txt)";

function exportFor(dir: string, environment: "development" | "staging" | "production", maintenanceMode = false): ExportedFiles {
    return exportMonitoring(dir, {
        environment,
        namespace: environment === "production" ? NS : namespaceOf(environment),
        runbookBaseUrl: RUNBOOK,
        maintenanceMode,
        backups: true,
        probe: true,
        monitoringNamespace: MONITORING_NS,
        canary: environment === "production",
        alertmanager: placeholderAlertmanagerParams(),
    });
}

function readGroups(file: string): RuleGroup[] {
    return (YAML.parse(fs.readFileSync(file, "utf8")) as { groups: RuleGroup[] }).groups;
}

describe("monitoring: Prometheus rules under promtool", function () {
    this.timeout(120000);
    let promtool: string;
    let dir: string;
    let production: ExportedFiles;
    let maintenance: ExportedFiles;

    before(function () {
        promtool = requireTool("promtool", PROMTOOL_HINT);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-rules-"));
        production = exportFor(path.join(dir, "production"), "production");
        maintenance = exportFor(path.join(dir, "maintenance"), "production", true);
    });

    after(function () {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("promtool check rules: the exported rule files of every environment are valid", function () {
        const files = [...production.rules, ...maintenance.rules];
        for (const env of ["development", "staging"] as const) files.push(...exportFor(path.join(dir, env), env).rules);
        console.log(`      running: promtool check rules ${files.map((f) => path.relative(dir, f)).join(" ")}`);
        const out = runTool(promtool, ["check", "rules", ...files]);
        const ok = out.match(/SUCCESS: (\d+) rules found/g) ?? [];
        assert.equal(ok.length, files.length, out);
        console.log(`      promtool: ${ok.join(", ")}`);
    });

    it("every alert rule of production and canary has a firing scenario", function () {
        const rules = production.rules.flatMap((f) => allAlerts(readGroups(f)));
        assert.ok(rules.length >= 20 + 15, `expected the production and canary alert sets, got ${rules.length} alerts`);
        assert.deepEqual(rulesWithoutFiringCase(rules), []);
    });

    it("promtool test rules: every alert fires with its labels and annotations and stays silent on healthy data", function () {
        const alertnames = [...new Set(production.rules.flatMap((f) => allAlerts(readGroups(f)).map((a) => a.alert)))].sort();
        const rel = (files: string[]) => files.map((f) => path.relative(dir, f));
        const groups = production.rules.flatMap(readGroups);
        const isRecording = (g: RuleGroup) => g.rules.every((r) => !("alert" in r));
        const order = [...groups.filter(isRecording), ...groups.filter((g) => !isRecording(g))].map((g) => g.name);
        const tests = buildTestFiles(rel(production.rules), rel(maintenance.rules), order, alertnames);
        const testFiles = Object.entries(tests.files).map(([name, text]) => {
            fs.writeFileSync(path.join(dir, name), text);
            return name;
        });
        console.log(
            `      running: promtool test rules ${testFiles.join(" ")} (${tests.groups} scenarios, ${tests.checks} alert checks; rules ${rel([...production.rules, ...maintenance.rules]).join(", ")})`,
        );
        const started = Date.now();
        const out = runTool(promtool, ["test", "rules", ...testFiles], { cwd: dir });
        console.log(`      promtool: ${testFiles.length} test files SUCCESS in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        assert.equal((out.match(/SUCCESS/g) ?? []).length, testFiles.length, out);
    });
});
