// The application side of logging: the Logback XML each stack ships in the app ConfigMap, parsed
// (fast-xml-parser), checked for the JSON fields of the log contract, masking at the source,
// sampling and level per environment.
import * as assert from "assert";
import { XMLParser } from "fast-xml-parser";
import { SAMPLING_FILTER_CLASS } from "../../components/app/logback";
import { redact, REDACTION_RULES } from "../../components/logging/redaction";
import { objects, renderStack, RenderResult, STACKS } from "../harness";

// The environment matrix: log level and INFO/DEBUG sampling.
const EXPECTED = {
    development: { level: "DEBUG", sample: "0.1" },
    staging: { level: "INFO", sample: "0.05" },
    production: { level: "WARN", sample: "0.01" },
    canary: { level: "INFO", sample: "0.1" },
} as const;

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function parseLogback(r: RenderResult): { xml: any; deployment: any } {
    const deployment = objects(r, "Deployment").find((d) => d.metadata.labels?.["app.kubernetes.io/name"] === "kline-analytics")!;
    const volume = deployment.spec.template.spec.volumes.find((v: any) => v.configMap);
    const cm = objects(r, "ConfigMap").find((c) => c.metadata.name === volume.configMap.name)!;
    assert.ok(cm?.data?.["logback.xml"], `${r.stack}: the app ConfigMap has logback.xml`);
    // Values stay strings: the checks compare text as Logback reads it.
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false, trimValues: false });
    return { xml: parser.parse(cm.data["logback.xml"]), deployment };
}

for (const stack of STACKS) {
    const want = EXPECTED[stack];
    describe(`Logback XML of stack ${stack}`, () => {
        let xml: any;
        let deployment: any;
        let appender: any;
        before(async () => {
            ({ xml, deployment } = parseLogback(await renderStack(stack)));
            appender = list(xml.configuration.appender).find((a: any) => a["@name"] === "JSON");
        });

        it(`root level ${want.level}, written through the async appender to the JSON console appender`, () => {
            assert.strictEqual(xml.configuration.root["@level"], want.level);
            assert.strictEqual(xml.configuration.root["appender-ref"]["@ref"], "ASYNC");
            const async = list(xml.configuration.appender).find((a: any) => a["@name"] === "ASYNC");
            assert.strictEqual(async["appender-ref"]["@ref"], "JSON");
            // discardingThreshold 0: the queue never discards (Logback's default drops TRACE/DEBUG/INFO once it
            // is 80% full), so the sampling filter is the only thing that drops events, at the configured rate.
            assert.strictEqual(async.discardingThreshold, "0");
            assert.strictEqual(appender["@class"], "ch.qos.logback.core.ConsoleAppender");
        });

        it(`samples DEBUG/INFO at ${want.sample} and always keeps WARN and ERROR`, () => {
            const filters = list(appender.filter);
            assert.strictEqual(filters.length, 1);
            assert.strictEqual(filters[0]["@class"], SAMPLING_FILTER_CLASS);
            assert.strictEqual(filters[0].alwaysKeep, "WARN");
            assert.strictEqual(filters[0].sampleRate, "${SAMPLE_RATE}");
            const prop = list(xml.configuration.property).find((p: any) => p["@name"] === "SAMPLE_RATE");
            assert.strictEqual(prop["@value"], want.sample);
            assert.ok(!JSON.stringify(xml).includes("Janino"), "no Janino evaluator (removed from logback 1.5.13)");
        });

        it("emits the log contract's fields: timestamp, level, logger_name, message, service, version, environment, pod, namespace", () => {
            const p = appender.encoder.providers;
            assert.strictEqual(appender.encoder["@class"], "net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder");
            assert.deepStrictEqual(
                [p.timestamp.fieldName, p.timestamp.timeZone, p.logLevel.fieldName, p.loggerName.fieldName, p.message.fieldName],
                ["timestamp", "UTC", "level", "logger_name", "message"],
            );
            const fields = JSON.parse(p.pattern.pattern);
            assert.deepStrictEqual(fields, {
                service: "kline-analytics",
                version: "${SERVICE_VERSION:-unknown}",
                environment: "${ENVIRONMENT:-unknown}",
                pod: "${POD_NAME:-unknown}",
                namespace: "${POD_NAMESPACE:-unknown}",
            });
            // ...and the pod provides those variables.
            const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e]));
            assert.strictEqual(env.ENVIRONMENT.value, stack);
            assert.match(env.SERVICE_VERSION.value, /\S/);
            assert.strictEqual(env.POD_NAME.valueFrom.fieldRef.fieldPath, "metadata.name");
            assert.strictEqual(env.POD_NAMESPACE.valueFrom.fieldRef.fieldPath, "metadata.namespace");
        });

        it("masks the four keys at the source: whole fields by name, and inside text with the ingest pipeline's own rules", () => {
            const mask = appender.encoder.jsonGeneratorDecorator;
            assert.strictEqual(mask["@class"], "net.logstash.logback.mask.MaskingJsonGeneratorDecorator");
            assert.strictEqual(mask.defaultMask, "[REDACTED]");
            for (const key of ["password", "token", "secret", "apiKey"]) {
                assert.ok(list(mask.path).includes(key), `field ${key} at the top level`);
                assert.ok(list(mask.path).includes(`*/${key}`), `field ${key} nested`);
            }
            const valueMasks = list(mask.valueMask).map((v: any) => ({ pattern: v.value, replacement: v.mask }));
            assert.deepStrictEqual(
                valueMasks,
                REDACTION_RULES.map((r) => ({ pattern: r.pattern, replacement: r.replacement })),
                "the XML carries the redaction rules unchanged (XML escaping round-trips)",
            );
            // The masks as read back from the XML redact like the rules (their Java semantics are
            // proven in redaction.integration.test.ts).
            const fromXml = valueMasks.map((v, i) => ({ ...REDACTION_RULES[i], pattern: v.pattern, replacement: v.replacement }));
            const line = 'login ok user=bob password=hunter2 body={"apiKey":"k\\"1","tokenizer_count":3}';
            assert.strictEqual(
                redact(line, fromXml),
                'login ok user=bob password=[REDACTED] body={"apiKey":"[REDACTED]","tokenizer_count":3}',
            );
            assert.strictEqual(mask.value, undefined, "no default-mask value regex (it would replace the key too)");
        });
    });
}
