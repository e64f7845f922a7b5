// Names shared by the Elasticsearch assets, the shipper and the installer, so that the data stream
// Filebeat writes to is exactly the one the index template, ILM policy and data view describe.

/**
 * Data streams follow Elastic's `logs-<dataset>-<namespace>` scheme. Two reasons: the role ECK
 * gives the Filebeat user grants writes on `logs-*` (and `filebeat-*`) only, and `logs-*` keeps
 * the streams out of the way of system indices. Our template's priority (200) is above the
 * built-in `logs-*-*` template (100), so ours applies and the built-in one does not.
 */
export const LOG_DATASET = "kline.analytics";
export const INDEX_TEMPLATE_PRIORITY = 200;

/** Ingest pipeline that every document of our data streams passes through (index.final_pipeline). */
export const REDACTION_PIPELINE = "kline-analytics-logs-redact";

/** Kibana data view over every environment's stream in a cluster (production's also holds canary). */
export const DATA_VIEW_ID = "kline-analytics-logs";
export const DATA_VIEW_PATTERN = `logs-${LOG_DATASET}-*`;

/** An environment name as used in data stream names: lowercase letters, digits, underscore. */
export function checkStreamEnvironment(environment: string): string {
    if (!/^[a-z][a-z0-9_]{0,29}$/.test(environment)) {
        throw new Error(
            `logging: environment '${environment}' cannot name a data stream: use lowercase letters, digits and '_' (no '-'), at most 30 characters`,
        );
    }
    return environment;
}

export function dataStreamName(environment: string): string {
    return `logs-${LOG_DATASET}-${checkStreamEnvironment(environment)}`;
}

export function ilmPolicyName(environment: string): string {
    return `kline-analytics-logs-${checkStreamEnvironment(environment)}`;
}

export function indexTemplateName(environment: string): string {
    return `kline-analytics-logs-${checkStreamEnvironment(environment)}`;
}
