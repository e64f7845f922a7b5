// The installer: request list, ConfigMap data, Job manifest (Pod Security "restricted"), and the
// real install-assets.sh run with bash and curl against a loopback HTTPS stand-in for
// Elasticsearch and Kibana (no Elasticsearch can run here).
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import {
    buildInstallerConfigData,
    buildInstallerJob,
    buildInstallerRequests,
    contentHash,
    INSTALL_SCRIPT_PATH,
    InstallerJobSpec,
    LogStreamSpec,
} from "../../components/logging/installer";
import { restrictedViolations } from "../lib/pss";
import { requireTool, runTool } from "../lib/tools";

const ROLLOVER = { maxAge: "1d", maxPrimaryShardSize: "50gb" };
const STREAMS: LogStreamSpec[] = [
    { environment: "production", retentionDays: 90, rollover: ROLLOVER },
    { environment: "canary", retentionDays: 30, rollover: ROLLOVER },
];
const JOB: InstallerJobSpec = {
    name: "logging-assets-0123abcd",
    namespace: "logging",
    configMapName: "logging-assets-0123abcd",
    elasticsearchName: "logging",
    kibanaName: "logging",
    image: "docker.elastic.co/elasticsearch/elasticsearch:8.19.8",
    labels: { "app.kubernetes.io/name": "logging-assets" },
    waitTimeoutSeconds: 900,
};

describe("logging installer", () => {
    describe("requests and ConfigMap", () => {
        const requests = buildInstallerRequests(STREAMS, 1);

        it("installs policies and the pipeline before the templates that name them, and the data view last", () => {
            assert.deepStrictEqual(
                requests.map((r) => `${r.target} ${r.method} ${r.path}`),
                [
                    "es PUT /_ilm/policy/kline-analytics-logs-production",
                    "es PUT /_ilm/policy/kline-analytics-logs-canary",
                    "es PUT /_ingest/pipeline/kline-analytics-logs-redact",
                    "es PUT /_index_template/kline-analytics-logs-production",
                    "es PUT /_index_template/kline-analytics-logs-canary",
                    "kibana POST /api/data_views/data_view",
                ],
            );
        });

        it("gives each stream its own retention (production 90 d, canary 30 d in production's cluster)", () => {
            const ilm = (env: string) =>
                (requests.find((r) => r.path.endsWith(`/policy/kline-analytics-logs-${env}`))!.body as any).policy.phases.delete.min_age;
            assert.strictEqual(ilm("production"), "90d");
            assert.strictEqual(ilm("canary"), "30d");
        });

        it("puts the script, requests.txt and every body in the ConfigMap, bodies as the JSON the builders return", () => {
            const data = buildInstallerConfigData(requests);
            assert.strictEqual(data["install-assets.sh"], fs.readFileSync(INSTALL_SCRIPT_PATH, "utf8"));
            const lines = data["requests.txt"].split("\n").filter((l) => l && !l.startsWith("#"));
            assert.strictEqual(lines.length, requests.length);
            for (const [i, r] of requests.entries()) {
                assert.strictEqual(lines[i], `${r.target} ${r.method} ${r.path} ${r.file}`);
                assert.deepStrictEqual(JSON.parse(data[r.file]), r.body);
                assert.match(r.file, /^[-._a-zA-Z0-9]+$/, "a ConfigMap key");
            }
        });

        it("changes the content hash when any asset changes, and only then", () => {
            const a = buildInstallerConfigData(requests);
            const b = buildInstallerConfigData(buildInstallerRequests(STREAMS, 1));
            const c = buildInstallerConfigData(buildInstallerRequests([{ ...STREAMS[0], retentionDays: 91 }, STREAMS[1]], 1));
            assert.strictEqual(contentHash(a), contentHash(b));
            assert.notStrictEqual(contentHash(a), contentHash(c));
            assert.match(contentHash(a), /^[0-9a-f]{8}$/);
        });

        it("refuses an empty or duplicated stream list", () => {
            assert.throws(() => buildInstallerRequests([], 1), /at least one log stream/);
            assert.throws(() => buildInstallerRequests([STREAMS[0], STREAMS[0]], 1), /'production' is listed twice/);
        });
    });

    describe("Job manifest", () => {
        const job = buildInstallerJob(JOB);
        const pod = job.spec.template.spec;
        const container = pod.containers[0];

        it("passes Pod Security 'restricted' (independent field-by-field check)", () => {
            assert.deepStrictEqual(restrictedViolations(pod), []);
            assert.strictEqual(container.securityContext.readOnlyRootFilesystem, true);
            assert.strictEqual(pod.automountServiceAccountToken, false);
        });

        it("retries, gives up eventually and cleans up after itself", () => {
            assert.strictEqual(job.spec.backoffLimit, 3);
            assert.strictEqual(job.spec.ttlSecondsAfterFinished, 86400);
            assert.ok(job.spec.activeDeadlineSeconds > JOB.waitTimeoutSeconds, "the Job deadline must leave the script its own wait");
            assert.strictEqual(pod.restartPolicy, "Never");
        });

        it("reads the operator-generated elastic password and HTTP CAs from their Secrets, as files", () => {
            const secrets = Object.fromEntries(pod.volumes.filter((v: any) => v.secret).map((v: any) => [v.name, v.secret]));
            assert.strictEqual(secrets["elastic-user"].secretName, "logging-es-elastic-user");
            assert.deepStrictEqual(secrets["elastic-user"].items, [{ key: "elastic", path: "elastic" }]);
            assert.strictEqual(secrets["es-http-ca"].secretName, "logging-es-http-certs-public");
            assert.strictEqual(secrets["kibana-http-ca"].secretName, "logging-kb-http-certs-public");
            const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
            assert.strictEqual(env.ES_URL.value, "https://logging-es-http.logging.svc:9200");
            assert.strictEqual(env.KIBANA_URL.value, "https://logging-kb-http.logging.svc:5601");
            assert.ok(
                container.env.every((e: any) => e.valueFrom === undefined),
                "the password is never an environment variable",
            );
            const mount = container.volumeMounts.find((m: any) => m.name === "elastic-user");
            assert.strictEqual(env.ELASTIC_PASSWORD_FILE.value, `${mount.mountPath}/elastic`);
            // group-readable through fsGroup: the container runs as that uid, the files are root's
            assert.strictEqual(pod.securityContext.fsGroup, pod.securityContext.runAsUser);
            assert.strictEqual(secrets["elastic-user"].defaultMode & 0o040, 0o040);
        });

        it("runs the script from the ConfigMap with a pinned image and refuses an unpinned one", () => {
            assert.deepStrictEqual(container.command, ["/bin/bash", "/opt/logging-assets/install-assets.sh"]);
            assert.strictEqual(pod.volumes.find((v: any) => v.name === "assets").configMap.name, JOB.configMapName);
            assert.match(container.image, /:8\.19\.8$/);
            assert.throws(() => buildInstallerJob({ ...JOB, image: "curlimages/curl" }), /must be pinned/);
            assert.throws(() => buildInstallerJob({ ...JOB, image: "curlimages/curl:latest" }), /must be pinned/);
        });
    });

    describe("install-assets.sh", () => {
        it("is shellcheck-clean", () => {
            const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/logging.txt)");
            runTool(shellcheck, ["--severity=style", "--shell=bash", INSTALL_SCRIPT_PATH]);
        });
    });

    describe("install-assets.sh against a loopback HTTPS stand-in for Elasticsearch and Kibana", function () {
        this.timeout(60000);
        const PASSWORD = 'pa"ss\\word-7Xq';
        let tmp: string;
        let server: https.Server;
        let port: number;
        let seen: Array<{ method: string; url: string; auth: string; xsrf?: string; body: string }> = [];
        // per-path scripted answers: each request shifts one status, the last one repeats
        let script: Record<string, number[]> = {};

        before(() => {
            const openssl = requireTool("openssl", "apt-get install openssl (listed in .ci/apt/logging.txt)");
            requireTool("curl", "apt-get install curl (listed in .ci/apt/logging.txt)");
            requireTool("bash", "apt-get install bash");
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kline-installer-"));
            runTool(openssl, [
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                path.join(tmp, "key.pem"),
                "-out",
                path.join(tmp, "ca.crt"),
            ]);
            fs.writeFileSync(path.join(tmp, "password"), `${PASSWORD}\n`);
            const assets = path.join(tmp, "assets");
            fs.mkdirSync(assets);
            for (const [k, v] of Object.entries(buildInstallerConfigData(buildInstallerRequests(STREAMS, 1))))
                fs.writeFileSync(path.join(assets, k), v);
        });

        beforeEach(async () => {
            seen = [];
            script = {};
            server = https.createServer(
                { key: fs.readFileSync(path.join(tmp, "key.pem")), cert: fs.readFileSync(path.join(tmp, "ca.crt")) },
                (req, res) => {
                    let body = "";
                    req.on("data", (c) => (body += c));
                    req.on("end", () => {
                        seen.push({
                            method: req.method!,
                            url: req.url!,
                            auth: req.headers.authorization ?? "",
                            xsrf: req.headers["kbn-xsrf"] as string,
                            body,
                        });
                        const key = req.url!.split("?")[0];
                        const answers = script[key] ?? [200];
                        const status = answers.length > 1 ? answers.shift()! : answers[0];
                        res.writeHead(status, { "content-type": "application/json" });
                        res.end(status < 300 ? '{"acknowledged":true}' : `{"error":"scripted ${status} for ${key}"}`);
                    });
                },
            );
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            port = (server.address() as AddressInfo).port;
        });

        afterEach(async () => {
            await new Promise<void>((resolve) => server.close(() => resolve()));
        });

        after(() => fs.rmSync(tmp, { recursive: true, force: true }));

        function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
            return {
                PATH: process.env.PATH,
                TMPDIR: tmp,
                ES_URL: `https://127.0.0.1:${port}`,
                KIBANA_URL: `https://localhost:${port}/`,
                ES_CA_FILE: path.join(tmp, "ca.crt"),
                KIBANA_CA_FILE: path.join(tmp, "ca.crt"),
                ELASTIC_PASSWORD_FILE: path.join(tmp, "password"),
                ASSETS_DIR: path.join(tmp, "assets"),
                WAIT_TIMEOUT_SECONDS: "20",
                BACKOFF_INITIAL_SECONDS: "0",
                ...extra,
            };
        }

        // Asynchronous on purpose: the stand-in server lives in this process's event loop.
        function run(e: NodeJS.ProcessEnv): Promise<{ code: number; out: string; ms: number }> {
            const started = Date.now();
            return new Promise((resolve, reject) => {
                const child = spawn("bash", [INSTALL_SCRIPT_PATH], { env: e, stdio: ["ignore", "pipe", "pipe"] });
                let out = "";
                child.stdout.on("data", (d) => (out += d));
                child.stderr.on("data", (d) => (out += d));
                child.on("error", reject);
                child.on("close", (code) => resolve({ code: code ?? -1, out, ms: Date.now() - started }));
            });
        }

        const expectedAuth = `Basic ${Buffer.from(`elastic:${PASSWORD}`).toString("base64")}`;

        it("waits for the cluster and Kibana, then sends every request in order with the elastic credentials", async () => {
            script["/_cluster/health"] = [503, 408, 200];
            script["/api/status"] = [503, 200];
            const r = await run(env());
            assert.strictEqual(r.code, 0, r.out);
            assert.deepStrictEqual(
                seen.map((s) => `${s.method} ${s.url}`),
                [
                    "GET /_cluster/health?wait_for_status=yellow&timeout=10s",
                    "GET /_cluster/health?wait_for_status=yellow&timeout=10s",
                    "GET /_cluster/health?wait_for_status=yellow&timeout=10s",
                    "GET /api/status",
                    "GET /api/status",
                    "PUT /_ilm/policy/kline-analytics-logs-production",
                    "PUT /_ilm/policy/kline-analytics-logs-canary",
                    "PUT /_ingest/pipeline/kline-analytics-logs-redact",
                    "PUT /_index_template/kline-analytics-logs-production",
                    "PUT /_index_template/kline-analytics-logs-canary",
                    "POST /api/data_views/data_view",
                ],
            );
            assert.ok(
                seen.every((s) => s.auth === expectedAuth),
                "every request authenticates as elastic with the file's password",
            );
            assert.strictEqual(seen[seen.length - 1].xsrf, "true", "Kibana requests carry kbn-xsrf");
            const assets = path.join(tmp, "assets");
            assert.strictEqual(seen[5].body, fs.readFileSync(path.join(assets, "ilm-production.json"), "utf8"));
            assert.strictEqual(seen[10].body, fs.readFileSync(path.join(assets, "data-view.json"), "utf8"));
            assert.match(r.out, /installed 6 assets/);
            assert.ok(!r.out.includes("word-7Xq"), "the password never reaches the output");
        });

        it("is idempotent: a second run sends the same upserts and succeeds again", async () => {
            const first = await run(env());
            const firstSeen = seen.map((s) => `${s.method} ${s.url} ${s.body.length}`);
            seen = [];
            const second = await run(env());
            assert.strictEqual(first.code, 0, first.out);
            assert.strictEqual(second.code, 0, second.out);
            assert.deepStrictEqual(
                seen.map((s) => `${s.method} ${s.url} ${s.body.length}`),
                firstSeen,
            );
            assert.ok(seen.every((s) => s.method !== "DELETE"));
        });

        it("retries a request that fails transiently (429, 503) and then continues", async () => {
            script["/_ingest/pipeline/kline-analytics-logs-redact"] = [429, 503, 200];
            const r = await run(env());
            assert.strictEqual(r.code, 0, r.out);
            assert.strictEqual(seen.filter((s) => s.url === "/_ingest/pipeline/kline-analytics-logs-redact").length, 3);
            assert.match(r.out, /answered HTTP 429 \(attempt 1\)/);
        });

        it("stops at once on a rejected body, names the request and shows Elasticsearch's answer", async () => {
            script["/_index_template/kline-analytics-logs-production"] = [400];
            const r = await run(env());
            assert.strictEqual(r.code, 1, r.out);
            assert.match(r.out, /PUT \/_index_template\/kline-analytics-logs-production was rejected with HTTP 400: .*scripted 400/);
            assert.strictEqual(seen.filter((s) => s.url.startsWith("/_index_template/kline-analytics-logs-production")).length, 1);
            assert.ok(!seen.some((s) => s.url === "/api/data_views/data_view"), "nothing after the failure is sent");
        });

        it("gives up with a clear message when the cluster never becomes ready", async () => {
            script["/_cluster/health"] = [503];
            const r = await run(env({ WAIT_TIMEOUT_SECONDS: "2", BACKOFF_INITIAL_SECONDS: "1" }));
            assert.strictEqual(r.code, 1, r.out);
            assert.match(r.out, /gave up on Elasticsearch cluster health .* after 2s and \d+ attempts; last answer HTTP 503/);
            assert.ok(r.ms < 15000, `took ${r.ms} ms`);
        });

        it("treats an unreachable endpoint as not ready yet (HTTP 000) and gives up after the timeout", async () => {
            const r = await run(env({ ES_URL: "https://127.0.0.1:1", WAIT_TIMEOUT_SECONDS: "1", BACKOFF_INITIAL_SECONDS: "1" }));
            assert.strictEqual(r.code, 1, r.out);
            assert.match(r.out, /last answer HTTP 000/);
        });

        const configErrors: Array<[string, Record<string, string>, RegExp]> = [
            ["no ES_URL", { ES_URL: "" }, /ES_URL is not set: set it to the Elasticsearch HTTP endpoint/],
            [
                "no password file",
                { ELASTIC_PASSWORD_FILE: "/nonexistent/elastic" },
                /ELASTIC_PASSWORD_FILE=\/nonexistent\/elastic is not a readable file \(is the <es-name>-es-elastic-user Secret mounted\?\)/,
            ],
            ["no CA for https", { ES_CA_FILE: "" }, /ES_CA_FILE is not set: es is https, mount its CA/],
            ["a non-numeric timeout", { WAIT_TIMEOUT_SECONDS: "soon" }, /WAIT_TIMEOUT_SECONDS='soon' is not a whole number of seconds/],
            ["no requests.txt", { ASSETS_DIR: "/nonexistent" }, /\/nonexistent\/requests.txt not found: set ASSETS_DIR/],
        ];
        for (const [name, extra, message] of configErrors) {
            it(`refuses ${name} with exit 2 and a message naming the fix, before sending anything`, async () => {
                const r = await run(env(extra));
                assert.strictEqual(r.code, 2, r.out);
                assert.match(r.out, message);
                assert.strictEqual(seen.length, 0);
            });
        }

        it("refuses a malformed requests.txt line before sending anything", async () => {
            const dir = path.join(tmp, "bad-assets");
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "requests.txt"), "es PUT /_ilm/policy/x missing.json\n");
            const r = await run(env({ ASSETS_DIR: dir }));
            assert.strictEqual(r.code, 2, r.out);
            assert.match(r.out, /requests.txt:1: body file 'missing.json' not found/);
            fs.writeFileSync(path.join(dir, "requests.txt"), "es DELETE /_ilm/policy/x\n");
            const r2 = await run(env({ ASSETS_DIR: dir }));
            assert.strictEqual(r2.code, 2, r2.out);
            assert.match(r2.out, /method 'DELETE' is not GET, PUT or POST/);
            assert.strictEqual(seen.length, 0);
        });
    });
});
