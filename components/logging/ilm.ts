// ILM policy for one environment's log data stream: roll over in the hot phase, delete after the
// environment's retention (the environment matrix: 30 / 60 / 90 / 30 days). Pure data; the installer PUTs it.
//
// How long a document really lives: ILM measures the delete phase's min_age from the rollover of
// the backing index that holds it, so a document is deleted between `retentionDays` and
// `retentionDays + rollover.maxAge` after it was written (at most one day more with maxAge 1d).

export interface RolloverSpec {
    /** Roll over at least this often, e.g. "1d" (bounds how long past retention data can live). */
    maxAge: string;
    /** Roll over when the primary shard reaches this size, e.g. "10gb". */
    maxPrimaryShardSize: string;
}

export interface IlmPolicySpec {
    environment: string;
    retentionDays: number;
    rollover: RolloverSpec;
}

const DURATION = /^[1-9][0-9]*(d|h|m)$/;
const SIZE = /^[1-9][0-9]*(gb|mb)$/;

export function checkIlmSpec(spec: IlmPolicySpec): void {
    // retentionDays comes from logRetentionDays / canaryLogRetentionDays, which config/ validates (1-3650).
    if (!DURATION.test(spec.rollover.maxAge)) {
        throw new Error(
            `logging: rollover maxAge for '${spec.environment}' is '${spec.rollover.maxAge}'; use a duration like 1d, 12h or 90m`,
        );
    }
    if (!SIZE.test(spec.rollover.maxPrimaryShardSize)) {
        throw new Error(
            `logging: rollover maxPrimaryShardSize for '${spec.environment}' is '${spec.rollover.maxPrimaryShardSize}'; use a size like 10gb or 500mb`,
        );
    }
}

/** The body of `PUT _ilm/policy/<name>`. */
export function buildIlmPolicy(spec: IlmPolicySpec): Record<string, unknown> {
    checkIlmSpec(spec);
    return {
        policy: {
            _meta: { managed_by: "kline-ops", environment: spec.environment, retention_days: spec.retentionDays },
            phases: {
                hot: {
                    min_age: "0ms",
                    actions: {
                        rollover: { max_age: spec.rollover.maxAge, max_primary_shard_size: spec.rollover.maxPrimaryShardSize },
                        set_priority: { priority: 100 },
                    },
                },
                delete: { min_age: `${spec.retentionDays}d`, actions: { delete: {} } },
            },
        },
    };
}
