// The ingest pipeline every log document passes through (index.final_pipeline of our templates):
// take the app's own timestamp as @timestamp, then redact sensitive values a second time (Logback
// masks them at the source; this second pass catches what the source misses). The gsub processors carry the
// patterns of redaction.ts unchanged, so what tests/logging/redaction.integration.test.ts proves with both
// JavaScript and java.util.regex is what Elasticsearch runs.
import { REDACTED, REDACTION_RULES, SENSITIVE_KEYS } from "./redaction";

/** Free-text fields that may carry a secret inside their text. */
export const REDACTED_TEXT_FIELDS = ["message", "stack_trace", "error.message"] as const;

/** What replaces the text fields when redaction itself fails (e.g. `message` is not a string). */
export const REDACTION_FAILED = "[REDACTED: the log line could not be redacted]";

export function buildRedactionPipeline(): Record<string, unknown> {
    const processors: Record<string, unknown>[] = [
        {
            date: {
                tag: "app-timestamp",
                field: "timestamp",
                target_field: "@timestamp",
                formats: ["ISO8601"],
                if: "ctx.timestamp instanceof String",
                // A bad timestamp keeps the shipper's @timestamp instead of losing the line.
                ignore_failure: true,
            },
        },
    ];
    for (const field of REDACTED_TEXT_FIELDS) {
        for (const rule of REDACTION_RULES) {
            processors.push({
                gsub: {
                    tag: `redact-${rule.name}-${field}`,
                    field,
                    pattern: rule.pattern,
                    replacement: rule.replacement,
                    ignore_missing: true,
                },
            });
        }
    }
    // Structured fields named exactly like a sensitive key (e.g. from MDC) at the top level.
    for (const key of SENSITIVE_KEYS) {
        processors.push({
            set: { tag: `redact-field-${key}`, field: key, value: REDACTED, override: true, if: `ctx.containsKey('${key}')` },
        });
    }
    return {
        description:
            "kline-analytics logs: @timestamp from the app, redaction of password/token/secret/apiKey values (managed by kline-ops)",
        _meta: { managed_by: "kline-ops" },
        processors,
        // If a processor fails, the document is still indexed (the event is not lost) but none of
        // its free text is: an unredacted value must never reach the index.
        on_failure: [
            { remove: { field: [...REDACTED_TEXT_FIELDS], ignore_missing: true } },
            { set: { field: "message", value: REDACTION_FAILED } },
            { set: { field: "event.kind", value: "pipeline_error" } },
            { set: { field: "error.type", value: "{{ _ingest.on_failure_processor_tag }}" } },
        ],
    };
}
