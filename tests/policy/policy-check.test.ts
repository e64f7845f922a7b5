// tools/policy-check.ts over resources.json files shaped like synth output: clean files pass,
// a violation exits 1 naming the policy and the resource, missing output exits 2 with the fix.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ResourceRecord, main, toPolicyResources } from "../../tools/policy-check";
import { bucketSet, clone, goodStack } from "./fixtures";
import { PolicyResource } from "../../policy/rules/types";

const REPO = path.resolve(__dirname, "..", "..");

const toRecords = (rs: PolicyResource[]): ResourceRecord[] =>
    rs.map((r) => ({ type: r.type, name: r.name, parent: null, inputs: r.props, options: {} }));

function run(argv: string[]): { code: number; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const code = main(
        argv,
        (m) => out.push(m),
        (m) => err.push(m),
    );
    return { code, out, err };
}

describe("delivery: tools/policy-check.ts", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-policy-check-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (rel: string, records: ResourceRecord[]) => {
        const file = path.join(dir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(records));
        return file;
    };

    it("passes every stack folder whose resources meet the baseline", () => {
        for (const stack of ["development", "staging", "production", "canary"]) write(`${stack}/resources.json`, toRecords(goodStack()));
        const r = run(["--out", dir]);
        assert.equal(r.code, 0, r.err.join("\n"));
        assert.deepEqual(r.out, [
            "policy-check: development: 11 resources, no violations",
            "policy-check: staging: 11 resources, no violations",
            "policy-check: production: 11 resources, no violations",
            "policy-check: canary: 11 resources, no violations",
        ]);
    });

    it("fails naming the policy and the resource", () => {
        const rs = clone(goodStack());
        rs[0].props.spec.template.spec.containers[0].image = "ghcr.io/kline/kline-analytics:latest";
        const r = run(["--file", write("bad.json", toRecords(rs))]);
        assert.equal(r.code, 1);
        assert.deepEqual(r.err.slice(1), [
            "  [image-pinned] kubernetes:apps/v1:Deployment app-deployment: Deployment kline-analytics-staging/kline-analytics: container \"app\": image 'ghcr.io/kline/kline-analytics:latest' uses the 'latest' tag; pin a version tag or a digest",
        ]);
        assert.match(r.err[0], /bad\.json: 1 violation\(s\) of the baseline/);
    });

    it("relates settings to an auto-named bucket through the id the synth mocks give it", () => {
        // No explicit bucket name: companions carry the provider-assigned id, as in synth output.
        const set = bucketSet();
        const bucket = set[0];
        delete bucket.props.bucket;
        const [record] = toPolicyResources(toRecords([bucket]));
        const id = record.ids![0];
        assert.match(id, /^backups-bucket-[0-9a-f]{7}$/);
        const wired = set.map((r, i) => {
            if (i === 0) return r;
            const copy = clone(r);
            copy.props.bucket = id;
            if (typeof copy.props.policy === "string")
                copy.props.policy = copy.props.policy.split("kline-analytics-staging-backups-1a2b3c").join(id);
            return copy;
        });
        const r = run(["--file", write("auto.json", toRecords(wired))]);
        assert.equal(r.code, 0, r.err.join("\n"));
    });

    it("exits 2 with the synth command when a stack was not rendered", () => {
        write("development/resources.json", toRecords(goodStack()));
        const r = run(["--out", dir, "--stack", "development", "--stack", "production"]);
        assert.equal(r.code, 2);
        assert.match(
            r.err.join("\n"),
            /production: cannot read .*production\/resources\.json: not found \(render it with: npm run synth -- --stack production\)/,
        );
    });

    it("rejects unknown stacks, arguments, and files that are not synth output", () => {
        assert.equal(run(["--stack", "prod"]).code, 2);
        assert.match(run(["--stack", "prod"]).err[0], /unknown stack "prod": known stacks are development, staging, production, canary/);
        assert.equal(run(["--frobnicate"]).code, 2);
        const notSynth = path.join(dir, "x.json");
        fs.writeFileSync(notSynth, JSON.stringify({ kind: "List" }));
        const r = run(["--file", notSynth]);
        assert.equal(r.code, 2);
        assert.match(r.err[0], /is not a synth resources\.json/);
    });

    it("`npm run policy` entry point exits non-zero on a violation", () => {
        const rs = clone(goodStack());
        delete rs[0].props.spec.template.spec.containers[0].resources.limits;
        const file = write("nolimits.json", toRecords(rs));
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
        assert.equal(pkg.scripts.policy, "ts-node --transpile-only tools/policy-check.ts");
        const proc = spawnSync(
            process.execPath,
            [require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/policy-check.ts", "--file", file],
            {
                cwd: REPO,
                encoding: "utf8",
            },
        );
        assert.equal(proc.status, 1, proc.stderr);
        assert.match(
            proc.stderr,
            /\[container-resources\] kubernetes:apps\/v1:Deployment app-deployment: .*resources\.limits\.cpu is missing/,
        );
    });
});
