// policy/index.ts as the Pulumi engine sees it: the pack runs in its own process (as
// `pulumi preview --policy-pack policy` starts it), prints its gRPC port, and this test talks the
// engine's analyzer protocol to it — the policy list, one resource (Analyze) and a whole stack
// (AnalyzeStack). The Pulumi CLI itself is not available here; the pack and the protocol are real.
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { BASELINE } from "../../policy/rules/baseline";
import { PolicyResource } from "../../policy/rules/types";
import { bucketSet, clone, deployment, goodStack } from "./fixtures";

const REPO = path.resolve(__dirname, "..", "..");

function call<Req, Res>(client: any, method: string, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: Res) => (err ? reject(err) : resolve(res))));
}

interface Diagnostic {
    policy: string;
    message: string;
    mandatory: boolean;
    urn: string;
}

function diagnostics(res: analyzerpb.AnalyzeResponse): Diagnostic[] {
    return res.getDiagnosticsList().map((d) => ({
        policy: d.getPolicyname(),
        message: d.getMessage(),
        mandatory: d.getEnforcementlevel() === analyzerpb.EnforcementLevel.MANDATORY,
        urn: d.getUrn(),
    }));
}

/** The engine always sends resource options; the server refuses requests without them. */
const options = () => new analyzerpb.AnalyzerResourceOptions();
const urnOf = (r: PolicyResource) => `urn:pulumi:staging::kline-analytics::${r.type}::${r.name}`;

describe("delivery: policy pack served over the engine's analyzer protocol", function () {
    this.timeout(60000);
    let pack: ChildProcess;
    let client: any;
    let stderr = "";

    before(async () => {
        pack = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join("policy", "index.ts")], {
            cwd: REPO,
            stdio: ["ignore", "pipe", "pipe"],
        });
        pack.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            pack.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(Number(m[1]));
            });
            pack.on("exit", (code) => reject(new Error(`policy pack exited (${code}) before printing its port:\n${out}${stderr}`)));
        });
        client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.kill();
    });

    it("announces every baseline rule as a mandatory policy", async () => {
        const info: analyzerpb.AnalyzerInfo = await call(client, "getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "kline-baseline");
        const policies = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
        assert.deepEqual(
            policies,
            BASELINE.map((r) => [r.name, analyzerpb.EnforcementLevel.MANDATORY]),
        );
    });

    it("Analyze reports a Deployment with a latest image and no limits, naming the policies", async () => {
        const bad = clone(deployment());
        const c = bad.props.spec.template.spec.containers[0];
        c.image = "ghcr.io/kline/kline-analytics:latest";
        delete c.resources.limits;
        const req = new analyzerpb.AnalyzeRequest()
            .setType(bad.type)
            .setName(bad.name)
            .setUrn(urnOf(bad))
            .setProperties(Struct.fromJavaScript(bad.props))
            .setOptions(options());
        const found = diagnostics(await call(client, "analyze", req));
        assert.deepEqual(
            found.map((d) => [d.policy, d.mandatory]),
            [
                ["container-resources", true],
                ["container-resources", true],
                ["image-pinned", true],
            ],
        );
        assert.match(found[2].message, /uses the 'latest' tag/);
    });

    it("Analyze finds nothing wrong with a compliant Deployment", async () => {
        const good = deployment();
        const req = new analyzerpb.AnalyzeRequest()
            .setType(good.type)
            .setName(good.name)
            .setUrn(urnOf(good))
            .setProperties(Struct.fromJavaScript(good.props))
            .setOptions(options());
        assert.deepEqual(diagnostics(await call(client, "analyze", req)), []);
    });

    async function analyzeStack(resources: PolicyResource[], deps: Record<string, string> = {}): Promise<Diagnostic[]> {
        const list = resources.map((r) => {
            const res = new analyzerpb.AnalyzerResource()
                .setType(r.type)
                .setName(r.name)
                .setUrn(urnOf(r))
                .setProperties(Struct.fromJavaScript(r.props))
                .setOptions(options());
            if (deps[r.name])
                res.getPropertydependenciesMap().set("bucket", new analyzerpb.AnalyzerPropertyDependencies().setUrnsList([deps[r.name]]));
            return res;
        });
        return diagnostics(await call(client, "analyzeStack", new analyzerpb.AnalyzeStackRequest().setResourcesList(list)));
    }

    it("AnalyzeStack passes a compliant stack", async () => {
        assert.deepEqual(await analyzeStack(goodStack()), []);
    });

    it("AnalyzeStack reports a bucket without versioning and a namespace without NetworkPolicy, against the right URNs", async () => {
        const resources = [
            deployment("kline-analytics-staging"),
            ...bucketSet().filter((r) => r.type !== "aws:s3/bucketVersioning:BucketVersioning"),
        ];
        const found = await analyzeStack(resources);
        assert.deepEqual(
            found.map((d) => [d.policy, d.urn]),
            [
                ["namespace-network-policy", urnOf(resources[0])],
                ["s3-versioning", urnOf(resources[1])],
            ],
        );
        assert.ok(found.every((d) => d.mandatory));
    });

    it("AnalyzeStack relates bucket settings through property dependencies while names are unknown (preview)", async () => {
        // In a preview of a new stack the bucket name (random suffix) and so the policy JSON are
        // unknown; the engine sends Pulumi's unknown sentinel and the URNs the values depend on.
        const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const set = bucketSet().map((r) => {
            const copy = clone(r);
            copy.props.bucket = UNKNOWN;
            if (copy.type === "aws:s3/bucketPolicy:BucketPolicy") copy.props.policy = UNKNOWN;
            return copy;
        });
        const bucketUrn = urnOf(set[0]);
        const deps = Object.fromEntries(set.slice(1).map((r) => [r.name, bucketUrn]));
        const found = await analyzeStack(set, deps);
        // Four bucket rules judge the settings they can see; the TLS rule needs the ARN and is
        // deferred to the update (advisory "can't run during preview"), as the engine does.
        assert.deepEqual(
            found.map((d) => [d.policy, d.mandatory]),
            [["s3-tls-only", false]],
        );
        assert.match(found[0].message, /can't run policy 's3-tls-only'.*during preview/);
        // ...and a missing setting is still caught in that preview.
        const noLifecycle = set.filter((r) => r.type !== "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        const found2 = await analyzeStack(noLifecycle, deps);
        assert.deepEqual(
            found2.map((d) => [d.policy, d.mandatory]),
            [
                ["s3-lifecycle", true],
                ["s3-tls-only", false],
            ],
        );
    });

    it("left nothing on stderr", () => {
        assert.equal(stderr, "");
    });
});
