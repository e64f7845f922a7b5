// The Elasticsearch/Kibana assets as data: ILM retention per environment, the index template's
// mappings and settings, the redaction pipeline, the data view. Pure functions, no Pulumi.
import * as assert from "assert";
import { ENVIRONMENTS } from "../../config/environments";
import { ENVIRONMENT_NAMES } from "../../config/types";
import { buildDataView } from "../../components/logging/data-view";
import { buildIlmPolicy } from "../../components/logging/ilm";
import { APP_FIELD_MAPPINGS, buildIndexTemplate, SHIPPER_FIELD_MAPPINGS } from "../../components/logging/index-template";
import { DATA_VIEW_PATTERN, dataStreamName, ilmPolicyName, REDACTION_PIPELINE } from "../../components/logging/names";
import { buildRedactionPipeline, REDACTED_TEXT_FIELDS, REDACTION_FAILED } from "../../components/logging/pipeline";
import { redact, REDACTION_RULES, SENSITIVE_KEYS } from "../../components/logging/redaction";

const ROLLOVER = { maxAge: "1d", maxPrimaryShardSize: "10gb" };

describe("logging assets", () => {
    describe("ILM policy", () => {
        // The environment matrix: log retention 30 / 60 / 90 / 30 days.
        const expectedDays: Record<string, number> = { development: 30, staging: 60, production: 90, canary: 30 };
        for (const env of ENVIRONMENT_NAMES) {
            it(`${env}: rolls over in hot and deletes after ${expectedDays[env]} days (the environment matrix value)`, () => {
                const body = buildIlmPolicy({
                    environment: env,
                    retentionDays: ENVIRONMENTS[env].app.logRetentionDays,
                    rollover: ROLLOVER,
                }) as any;
                assert.deepStrictEqual(Object.keys(body.policy.phases), ["hot", "delete"]);
                assert.deepStrictEqual(body.policy.phases.hot.actions.rollover, { max_age: "1d", max_primary_shard_size: "10gb" });
                assert.strictEqual(body.policy.phases.delete.min_age, `${expectedDays[env]}d`);
                assert.deepStrictEqual(body.policy.phases.delete.actions, { delete: {} });
            });
        }

        const bad: Array<[string, object, RegExp]> = [
            ["rollover age without unit", { rollover: { ...ROLLOVER, maxAge: "1" } }, /maxAge .* '1'; use a duration like 1d/],
            [
                "rollover size in bytes",
                { rollover: { ...ROLLOVER, maxPrimaryShardSize: "10000" } },
                /maxPrimaryShardSize .* '10000'; use a size like 10gb/,
            ],
        ];
        for (const [name, override, message] of bad) {
            it(`refuses ${name} with a message naming the value and what is allowed`, () => {
                assert.throws(
                    () => buildIlmPolicy({ environment: "staging", retentionDays: 60, rollover: ROLLOVER, ...override }),
                    message,
                );
            });
        }
    });

    describe("index template", () => {
        const template = buildIndexTemplate({ environment: "production", replicas: 1 }) as any;

        it("matches exactly the environment's data stream and outranks the built-in logs-*-* template", () => {
            assert.deepStrictEqual(template.index_patterns, ["logs-kline.analytics-production"]);
            assert.deepStrictEqual(template.data_stream, {});
            assert.ok(template.priority > 100, `priority ${template.priority} must be above the built-in 100`);
        });

        it("names the environment's ILM policy and makes the redaction pipeline final", () => {
            const s = template.template.settings;
            assert.strictEqual(s["index.lifecycle.name"], ilmPolicyName("production"));
            assert.strictEqual(s["index.lifecycle.name"], "kline-analytics-logs-production");
            assert.strictEqual(s["index.final_pipeline"], REDACTION_PIPELINE);
            assert.strictEqual(s["index.number_of_replicas"], 1);
            assert.strictEqual(s["index.mapping.ignore_malformed"], true);
        });

        it("maps the log contract's fields explicitly: timestamp date, message text, the rest keyword", () => {
            const p = template.template.mappings.properties;
            assert.strictEqual(template.template.mappings.dynamic, false);
            assert.strictEqual(p.timestamp.type, "date");
            assert.strictEqual(p["@timestamp"].type, "date");
            assert.strictEqual(p.message.type, "text");
            for (const f of ["level", "logger_name", "service", "version", "environment", "pod", "namespace"]) {
                assert.strictEqual(p[f]?.type, "keyword", `${f} must be keyword`);
            }
        });

        it("maps the fields Filebeat adds (Kubernetes metadata, container, file, decode errors)", () => {
            const p = template.template.mappings.properties;
            assert.strictEqual(p.kubernetes.properties.namespace.type, "keyword");
            assert.strictEqual(p.kubernetes.properties.pod.properties.name.type, "keyword");
            assert.strictEqual(p.kubernetes.properties.container.properties.name.type, "keyword");
            assert.strictEqual(p.kubernetes.properties.node.properties.name.type, "keyword");
            assert.strictEqual(p.kubernetes.properties.labels.type, "flattened");
            assert.strictEqual(p.log.properties.file.properties.path.type, "keyword");
            assert.strictEqual(p.stream.type, "keyword");
            assert.strictEqual(p.error.properties.message.type, "text");
            assert.strictEqual(p.host.properties.name.type, "keyword");
        });

        it("has no field that both the app and the shipper define (one would silently win)", () => {
            const clash = Object.keys(APP_FIELD_MAPPINGS).filter((k) => k in SHIPPER_FIELD_MAPPINGS);
            assert.deepStrictEqual(clash, []);
            const p = template.template.mappings.properties;
            for (const k of Object.keys(APP_FIELD_MAPPINGS)) assert.deepStrictEqual(p[k], APP_FIELD_MAPPINGS[k], k);
            for (const k of Object.keys(SHIPPER_FIELD_MAPPINGS)) assert.deepStrictEqual(p[k], SHIPPER_FIELD_MAPPINGS[k], k);
        });

        it("refuses a replica count it cannot mean and an environment that cannot name a data stream", () => {
            assert.throws(() => buildIndexTemplate({ environment: "production", replicas: -1 }), /replicas .* is -1/);
            assert.throws(() => buildIndexTemplate({ environment: "prod-eu", replicas: 1 }), /'prod-eu' cannot name a data stream.*no '-'/);
        });
    });

    describe("redaction ingest pipeline", () => {
        const pipeline = buildRedactionPipeline() as any;
        const gsubs = pipeline.processors.filter((p: any) => p.gsub).map((p: any) => p.gsub);

        it("takes the app's timestamp as @timestamp without ever failing the document on it", () => {
            const d = pipeline.processors[0].date;
            assert.strictEqual(d.field, "timestamp");
            assert.strictEqual(d.target_field, "@timestamp");
            assert.deepStrictEqual(d.formats, ["ISO8601"]);
            assert.strictEqual(d.ignore_failure, true);
        });

        it("runs every redaction rule, unchanged and in order, on each free-text field", () => {
            assert.strictEqual(gsubs.length, REDACTED_TEXT_FIELDS.length * REDACTION_RULES.length);
            for (const field of REDACTED_TEXT_FIELDS) {
                const forField = gsubs.filter((g: any) => g.field === field);
                assert.deepStrictEqual(
                    forField.map((g: any) => [g.pattern, g.replacement]),
                    REDACTION_RULES.map((r) => [r.pattern, r.replacement]),
                    field,
                );
                assert.ok(
                    forField.every((g: any) => g.ignore_missing === true),
                    `${field}: a missing field must not fail the document`,
                );
            }
            assert.ok(REDACTED_TEXT_FIELDS.includes("message"));
        });

        it("sets each top-level field named like a sensitive key to [REDACTED]", () => {
            const sets = pipeline.processors.filter((p: any) => p.set).map((p: any) => p.set);
            assert.deepStrictEqual(
                sets.map((s: any) => [s.field, s.value, s.override, s.if]),
                SENSITIVE_KEYS.map((k) => [k, "[REDACTED]", true, `ctx.containsKey('${k}')`]),
            );
        });

        it("on failure keeps the event but drops all of its free text", () => {
            const f = pipeline.on_failure;
            assert.deepStrictEqual(f[0].remove.field, [...REDACTED_TEXT_FIELDS]);
            assert.deepStrictEqual(f[1].set, { field: "message", value: REDACTION_FAILED });
            assert.ok(!JSON.stringify(f).includes("on_failure_message"), "the failure message may quote the value: never copy it");
        });

        it("applied to a document field by field (a stand-in for the ingest node), redacts message and stack_trace", () => {
            // Only gsub and the field set processors matter here; the patterns' Java semantics are
            // proven in redaction.integration.test.ts.
            const doc: Record<string, unknown> = {
                message: 'login failed for {"user":"bob","password":"hunter2"}',
                stack_trace: "java.lang.IllegalArgumentException: token=abc123\n\tat x.Y.z(Y.java:1)",
                apiKey: "AKIA-structured",
                level: "ERROR",
            };
            for (const p of pipeline.processors) {
                if (p.gsub && typeof doc[p.gsub.field] === "string") {
                    doc[p.gsub.field] = (doc[p.gsub.field] as string).replace(new RegExp(p.gsub.pattern, "g"), p.gsub.replacement);
                }
                if (p.set && p.set.field in doc) doc[p.set.field] = p.set.value;
            }
            assert.deepStrictEqual(doc, {
                message: 'login failed for {"user":"bob","password":"[REDACTED]"}',
                stack_trace: "java.lang.IllegalArgumentException: token=[REDACTED]\n\tat x.Y.z(Y.java:1)",
                apiKey: "[REDACTED]",
                level: "ERROR",
            });
            assert.strictEqual(doc.message, redact('login failed for {"user":"bob","password":"hunter2"}'));
        });
    });

    describe("Kibana data view", () => {
        it("covers every environment's data stream with @timestamp as time field, and is an upsert", () => {
            const dv = buildDataView() as any;
            assert.strictEqual(dv.override, true);
            assert.strictEqual(dv.data_view.title, DATA_VIEW_PATTERN);
            assert.strictEqual(dv.data_view.timeFieldName, "@timestamp");
            const glob = new RegExp(`^${DATA_VIEW_PATTERN.replace(/\./g, "\\.").replace(/\*/g, ".*")}$`);
            for (const env of ENVIRONMENT_NAMES) assert.ok(glob.test(dataStreamName(env)), env);
            assert.ok(!glob.test("logs-generic-default"), "must not pull in other logs-* streams");
        });
    });
});
