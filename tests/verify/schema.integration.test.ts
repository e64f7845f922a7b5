// Schema validation against the published schemas (Kubernetes v1.36.3 OpenAPI v3, pinned
// prometheus-operator and ECK CRDs): strict about unknown fields and types.
import { strict as assert } from "assert";
import { SchemaValidator, strictSchema } from "../../tools/verify/schema";
import { broken, good, named } from "./fixtures";

describe("verify: schema validation", function () {
    this.timeout(60_000);
    let schema: SchemaValidator;
    before(() => {
        schema = SchemaValidator.shared();
    });

    it("accepts every object of the good sample (built-ins, ServiceMonitor, PrometheusRule, Elasticsearch)", () => {
        const objects = good();
        assert.equal(objects.length, 9);
        assert.deepEqual(schema.validateAll(objects), []);
    });

    it("rejects an unknown field in a built-in kind", () => {
        const errors = schema.validate(named(broken(), "Deployment kline-verify-broken/unknown-field"));
        assert.deepEqual(errors, ['/spec/template/spec/containers/0: unknown field "cpuLimit"']);
    });

    it("rejects a value of the wrong type", () => {
        const errors = schema.validate(named(broken(), "Deployment kline-verify-broken/wrong-type"));
        assert.deepEqual(errors, ["/spec/replicas: wrong type, expected integer"]);
    });

    it("rejects an unknown field in a custom resource (ServiceMonitor from the pinned CRD)", () => {
        const errors = schema.validate(named(broken(), "ServiceMonitor kline-verify-broken/unknown-field"));
        assert.deepEqual(errors, ['/spec/endpoints/0: unknown field "scrapeEvery"']);
    });

    it("rejects unknown metadata fields of custom resources, as the API server would", () => {
        const sm = structuredClone(named(good(), "ServiceMonitor kline-verify-good/kline-analytics"));
        (sm.metadata as any).label = { oops: "typo for labels" };
        assert.deepEqual(schema.validate(sm), ['/metadata: unknown field "label"']);
    });

    it("leaves the privileged and no-limits objects to the other verifiers (they are schema-valid)", () => {
        const objects = broken();
        assert.deepEqual(schema.validate(named(objects, "Deployment kline-verify-broken/privileged")), []);
        assert.deepEqual(schema.validate(named(objects, "Deployment kline-verify-broken/no-limits")), []);
    });

    it("refuses a kind that has no published schema instead of passing it unchecked", () => {
        const errors = schema.validate({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } });
        assert.equal(errors.length, 1);
        assert.match(errors[0], /no published schema for apiVersion "example.com\/v1" kind "Widget"/);
    });

    it("covers every custom resource kind the stacks create", () => {
        const kinds: [string, string][] = [
            ["monitoring.coreos.com/v1", "ServiceMonitor"],
            ["monitoring.coreos.com/v1", "PrometheusRule"],
            ["monitoring.coreos.com/v1", "Probe"],
            ["monitoring.coreos.com/v1", "PodMonitor"],
            ["monitoring.coreos.com/v1alpha1", "AlertmanagerConfig"],
            ["elasticsearch.k8s.elastic.co/v1", "Elasticsearch"],
            ["kibana.k8s.elastic.co/v1", "Kibana"],
            ["beat.k8s.elastic.co/v1beta1", "Beat"],
            ["agent.k8s.elastic.co/v1alpha1", "Agent"],
            ["logstash.k8s.elastic.co/v1alpha1", "Logstash"],
        ];
        assert.deepEqual(
            kinds.filter(([v, k]) => !schema.knows(v, k)),
            [],
        );
    });

    it("keeps x-kubernetes-preserve-unknown-fields objects open and closes the others", () => {
        const s = strictSchema({
            type: "object",
            properties: {
                open: {
                    type: "object",
                    "x-kubernetes-preserve-unknown-fields": true,
                    properties: { a: { type: "string" } },
                },
                closed: { type: "object", properties: { a: { type: "string", nullable: true } } },
            },
        });
        assert.equal(s.additionalProperties, false);
        assert.equal(s.properties.open.additionalProperties, undefined);
        assert.equal(s.properties.closed.additionalProperties, false);
        assert.deepEqual(s.properties.closed.properties.a.type, ["string", "null"]);
    });
});
