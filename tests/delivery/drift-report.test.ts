// scripts/drift-report.ts: the drifted resources of `pulumi refresh --preview-only --json` (or of
// `pulumi preview --refresh --json`), its exit status and its refusals. The e2e runs it on the real
// engine's output after a hand edit on the loopback cluster (tests/e2e/stacks.e2e.ts).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { driftedResources, formatDrift } from "../../scripts/drift-report";

const ROOT = path.resolve(__dirname, "..", "..");
const TSNODE = path.join(ROOT, "node_modules", ".bin", "ts-node");
const P = "urn:pulumi:development::kline-analytics::";
const SECRET_VALUE = "hunter2-value-that-must-not-print";

/**
 * The shape pulumi 3.248 prints for `refresh --preview-only --json` (seen in the e2e): every
 * resource a step, unchanged ones (the stack too) with op "refresh", drifted ones "update" (with a
 * detailed diff and no diffReasons) or "delete".
 */
function refreshDoc(extra: any[] = []): any {
    return {
        config: {},
        steps: [
            { op: "refresh", urn: `${P}pulumi:pulumi:Stack::kline-analytics-development`, provider: "" },
            { op: "refresh", urn: `${P}kline:app:KlineApp$kubernetes:apps/v1:Deployment::kline-analytics-deployment`, provider: "p" },
            ...extra,
        ],
        duration: 6000000000,
        changeSummary: { same: 2, update: extra.length },
    };
}
const configMapEdit = {
    op: "update",
    urn: `${P}kline:app:KlineApp$kubernetes:core/v1:ConfigMap::kline-analytics-config`,
    detailedDiff: { 'data["application.yaml"]': { kind: "update-replace", inputDiff: false } },
    oldState: { inputs: { data: { "application.yaml": "a" } } },
    newState: { inputs: { data: { "application.yaml": SECRET_VALUE } } },
};
const deletedService = {
    op: "delete",
    urn: `${P}kline:app:KlineApp$kubernetes:core/v1:Service::kline-analytics-service`,
    oldState: { inputs: { metadata: { name: "kline-analytics" } } },
};

function run(args: string[], input?: string) {
    return spawnSync(TSNODE, ["--transpile-only", path.join(ROOT, "scripts", "drift-report.ts"), ...args], {
        input,
        encoding: "utf8",
        cwd: ROOT,
    });
}

describe("scripts/drift-report.ts", function () {
    this.timeout(60_000);

    it("lists each drifted resource with its operation, type, name and changed paths, sorted; nothing for the stack itself", () => {
        const drift = driftedResources(refreshDoc([configMapEdit, deletedService]));
        assert.deepEqual(drift, [
            {
                op: "update",
                type: "kubernetes:core/v1:ConfigMap",
                name: "kline-analytics-config",
                urn: configMapEdit.urn,
                properties: ['data["application.yaml"]'],
            },
            { op: "delete", type: "kubernetes:core/v1:Service", name: "kline-analytics-service", urn: deletedService.urn, properties: [] },
        ]);
        assert.deepEqual(driftedResources(refreshDoc()), []);
    });

    it("falls back to the changed top-level keys when the engine gives no detailed diff", () => {
        const { detailedDiff: _d, ...plain } = configMapEdit;
        assert.deepEqual(driftedResources(refreshDoc([{ ...plain, diffReasons: ["data"] }]))[0].properties, ["data"]);
    });

    it("exits 1 and names the drifted resources, never their values", () => {
        const r = run(["--stack", "development"], JSON.stringify(refreshDoc([configMapEdit])));
        assert.equal(r.status, 1, r.stderr);
        assert.equal(r.stdout, `${formatDrift(driftedResources(refreshDoc([configMapEdit])), "development")}\n`);
        assert.match(
            r.stdout,
            /^drift: 1 resource\(s\) of stack development differ from the program:\n  update +kubernetes:core\/v1:ConfigMap  kline-analytics-config  \(data\["application.yaml"\]\)\n$/,
        );
        assert.ok(!r.stdout.includes(SECRET_VALUE) && !r.stderr.includes(SECRET_VALUE));
    });

    it("exits 0 and says so when nothing drifted; --json prints the list for other tools", () => {
        const clean = run(["--stack", "staging"], JSON.stringify(refreshDoc()));
        assert.equal(clean.status, 0, clean.stderr);
        assert.equal(clean.stdout, "no drift: stack staging matches the program\n");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-drift-"));
        try {
            const file = path.join(dir, "refresh.json");
            fs.writeFileSync(file, JSON.stringify(refreshDoc([deletedService])));
            const json = run(["--json", file]);
            assert.equal(json.status, 1, json.stderr);
            assert.deepEqual(
                JSON.parse(json.stdout).map((d: any) => [d.op, d.name]),
                [["delete", "kline-analytics-service"]],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("exits 2 when it cannot judge: not JSON, no steps, the refresh reported errors, a missing file, a bad option", () => {
        const cases: Array<[string[], string | undefined, RegExp]> = [
            [[], "error: could not connect", /is not JSON .*run pulumi with --json/],
            [[], JSON.stringify({ diagnostics: [] }), /no steps array/],
            [
                [],
                JSON.stringify({
                    steps: [],
                    diagnostics: [{ severity: "error", message: "configured Kubernetes cluster is unreachable" }],
                }),
                /the refresh reported errors, so drift cannot be judged:\n  configured Kubernetes cluster is unreachable/,
            ],
            [["/nonexistent/refresh.json"], undefined, /cannot read \/nonexistent\/refresh\.json/],
            [["--stack"], "{}", /--stack needs a stack name/],
            [["--format", "x"], "{}", /unknown option --format/],
        ];
        for (const [args, input, message] of cases) {
            const r = run(args, input ?? "");
            assert.equal(r.status, 2, `${args.join(" ")}: exit ${r.status}\n${r.stdout}${r.stderr}`);
            assert.match(r.stderr, message);
        }
    });
});
