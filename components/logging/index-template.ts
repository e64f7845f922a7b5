// Composable index template for one environment's log data stream: explicit mappings for the
// fields of the log contract and for the fields Filebeat adds, the ILM policy, and the redaction
// pipeline as `index.final_pipeline`. Pure data; the installer PUTs it.
import { INDEX_TEMPLATE_PRIORITY, dataStreamName, ilmPolicyName, REDACTION_PIPELINE } from "./names";

export interface IndexTemplateSpec {
    environment: string;
    /** Replica shards per primary: 0 on a one-node cluster (a replica could never be allocated). */
    replicas: number;
}

type Mapping = Record<string, unknown>;
const keyword = (ignoreAbove = 1024): Mapping => ({ type: "keyword", ignore_above: ignoreAbove });
const text: Mapping = { type: "text" };
const date: Mapping = { type: "date" };
const object = (properties: Record<string, Mapping>): Mapping => ({ properties });

/** The log line agreed with the service team, as Logback writes it (components/app/logback.ts). */
export const APP_FIELD_MAPPINGS: Record<string, Mapping> = {
    timestamp: date,
    level: keyword(32),
    logger_name: keyword(),
    message: text,
    service: keyword(256),
    version: keyword(256),
    environment: keyword(64),
    pod: keyword(256),
    namespace: keyword(256),
    // Also written by the Logback encoder: the thread and the stack trace of an exception.
    thread_name: keyword(),
    stack_trace: text,
};

/** What Filebeat adds: container input, add_kubernetes_metadata, decode_json_fields errors. */
export const SHIPPER_FIELD_MAPPINGS: Record<string, Mapping> = {
    "@timestamp": date,
    stream: keyword(16),
    input: object({ type: keyword(64) }),
    log: object({ file: object({ path: keyword() }), offset: { type: "long" } }),
    agent: object({
        name: keyword(256),
        type: keyword(64),
        version: keyword(64),
        id: keyword(64),
        ephemeral_id: keyword(64),
    }),
    ecs: object({ version: keyword(32) }),
    host: object({ name: keyword(256) }),
    container: object({ id: keyword(128), runtime: keyword(64), image: object({ name: keyword() }) }),
    kubernetes: object({
        namespace: keyword(256),
        namespace_uid: keyword(64),
        node: object({ name: keyword(256), uid: keyword(64), hostname: keyword(256) }),
        pod: object({ name: keyword(256), uid: keyword(64), ip: { type: "ip", ignore_malformed: true } }),
        container: object({ name: keyword(256) }),
        deployment: object({ name: keyword(256) }),
        replicaset: object({ name: keyword(256) }),
        // Label keys are open-ended (and dedotted by Filebeat): one flattened field, no mapping explosion.
        labels: { type: "flattened" },
    }),
    error: object({ message: text, type: keyword(64) }),
    event: object({ kind: keyword(64) }),
};

/** The body of `PUT _index_template/<name>`. */
export function buildIndexTemplate(spec: IndexTemplateSpec): Record<string, unknown> {
    if (!Number.isInteger(spec.replicas) || spec.replicas < 0 || spec.replicas > 5) {
        throw new Error(`logging: index replicas for '${spec.environment}' is ${spec.replicas}; use a whole number from 0 to 5`);
    }
    return {
        index_patterns: [dataStreamName(spec.environment)],
        data_stream: {},
        priority: INDEX_TEMPLATE_PRIORITY,
        _meta: { managed_by: "kline-ops", environment: spec.environment },
        template: {
            settings: {
                "index.lifecycle.name": ilmPolicyName(spec.environment),
                // final_pipeline runs after any pipeline a client asks for and cannot be skipped by
                // a request parameter: every document is redacted, whoever ships it.
                "index.final_pipeline": REDACTION_PIPELINE,
                "index.number_of_shards": 1,
                "index.number_of_replicas": spec.replicas,
                "index.codec": "best_compression",
                // A malformed timestamp or number must not cost us the log line.
                "index.mapping.ignore_malformed": true,
                "index.query.default_field": ["message", "stack_trace", "logger_name"],
            },
            mappings: {
                // Fields not listed stay in _source (visible in Discover) but are not indexed: a
                // service logging arbitrary JSON keys (MDC, structured arguments) cannot blow up
                // the mapping, and the contract's fields keep the types given here.
                dynamic: false,
                properties: { ...APP_FIELD_MAPPINGS, ...SHIPPER_FIELD_MAPPINGS },
            },
        },
    };
}
