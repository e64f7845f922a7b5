// Point-in-time recovery with pgBackRest as plain data: the pgBackRest configuration file, the
// server's WAL archiving settings, the agent's settings, the IAM policies of the repository's
// roles and the bucket lifecycle rule of its prefix. Pure functions of strings and numbers, so
// the Pulumi components, `npm run synth` and the real-server tests use exactly the same text.
import { LifecycleRule, NONCURRENT_VERSION_DAYS, PolicyDocument, backupLifecycleRules, prefixRolePolicy } from "./policies";

/** Where the image and the pods keep things (components/app/postgres.ts mounts these). */
export const PITR_PATHS = {
    /** The data volume's mount; PGDATA is a directory below it (initdb wants an empty directory). */
    volume: "/var/lib/postgresql/data",
    pgdata: "/var/lib/postgresql/data/pgdata",
    socket: "/var/run/postgresql",
    /** pgbackrest.conf (a ConfigMap); pgBackRest reads /etc/pgbackrest/pgbackrest.conf by default. */
    configDir: "/etc/pgbackrest",
    /** The agent script (same ConfigMap). */
    agent: "/etc/pgbackrest/pitr-agent.sh",
    /** Lock files of pgBackRest (an emptyDir: the root filesystem is read-only). */
    lock: "/tmp/pgbackrest",
    /** The metrics file the agent writes and busybox httpd serves. */
    metricsDir: "/var/run/pgbackrest-metrics",
} as const;

export const PGBACKREST_CONFIG_FILE = "pgbackrest.conf";
export const AGENT_FILE = "pitr-agent.sh";
/** Ports of the database pod's metrics: postgres_exporter and the agent's metrics file. */
export const EXPORTER_PORT = 9187;
export const AGENT_METRICS_PORT = 9854;
export const AGENT_METRICS_PATH = "/metrics.txt";

export interface RepositoryTarget {
    bucket: string;
    region: string;
    /** Key prefix of the repository, e.g. "pgbackrest/" (stored as repo1-path=/pgbackrest). */
    prefix: string;
    /** Default s3.<region>.amazonaws.com; tests point it at MinIO. */
    endpoint?: string;
    port?: number;
    /** "web-id": IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE); "shared": keys in PGBACKREST_REPO1_S3_KEY(_SECRET). */
    keyType: "web-id" | "shared";
    /** "path" for MinIO; AWS takes the default (host). */
    uriStyle?: "host" | "path";
    /** CA bundle that signed the endpoint's certificate (tests: a throw-away CA). */
    caFile?: string;
}

export interface PgbackrestSettings {
    stanza: string;
    repository: RepositoryTarget;
    /** Days every instant stays restorable: full backups kept by age (repo1-retention-full-type=time). */
    retentionDays: number;
    pgPath: string;
    socketPath: string;
    port: number;
    /** Database superuser pgBackRest connects as (the official image's POSTGRES_USER). */
    user: string;
    lockPath: string;
    /** Parallel file copies of backup and restore. */
    processMax: number;
}

/**
 * pgbackrest.conf. Retention belongs to pgBackRest: with type `time` it keeps every full backup
 * younger than the retention plus the newest one older, so each instant of the window has a base
 * backup and the WAL after it (archive retention follows the kept backups).
 */
export function renderPgbackrestConf(s: PgbackrestSettings): string {
    const r = s.repository;
    if (!/^[a-z0-9][a-z0-9-]*\/$/.test(r.prefix)) throw new Error(`pgBackRest repository prefix '${r.prefix}' must look like pgbackrest/`);
    if (!/^[A-Za-z0-9_-]+$/.test(s.stanza)) throw new Error(`pgBackRest stanza '${s.stanza}' must be letters, digits, '_' or '-'`);
    if (!(Number.isInteger(s.retentionDays) && s.retentionDays >= 1))
        throw new Error(`retentionDays ${s.retentionDays} must be a whole number >= 1`);
    const lines = [
        "# Rendered by kline-ops (components/backup/pitr-config.ts); do not edit in place.",
        "[global]",
        "repo1-type=s3",
        `repo1-path=/${r.prefix.replace(/\/$/, "")}`,
        `repo1-s3-bucket=${r.bucket}`,
        `repo1-s3-region=${r.region}`,
        `repo1-s3-endpoint=${r.endpoint ?? `s3.${r.region}.amazonaws.com`}`,
        `repo1-s3-key-type=${r.keyType}`,
        ...(r.port ? [`repo1-storage-port=${r.port}`] : []),
        ...(r.uriStyle ? [`repo1-s3-uri-style=${r.uriStyle}`] : []),
        ...(r.caFile ? [`repo1-storage-ca-file=${r.caFile}`] : []),
        "repo1-retention-full-type=time",
        `repo1-retention-full=${s.retentionDays}`,
        "compress-type=zst",
        "compress-level=3",
        `process-max=${s.processMax}`,
        // Backups begin at once instead of waiting for the next scheduled checkpoint.
        "start-fast=y",
        // Logs go to the container's stderr/stdout; the root filesystem is read-only.
        "log-level-console=info",
        "log-level-stderr=warn",
        "log-level-file=off",
        `lock-path=${s.lockPath}`,
        "",
        `[${s.stanza}]`,
        `pg1-path=${s.pgPath}`,
        `pg1-socket-path=${s.socketPath}`,
        `pg1-port=${s.port}`,
        `pg1-user=${s.user}`,
        "",
    ];
    return lines.join("\n");
}

/**
 * The live server's WAL archiving: every completed segment goes to the repository, and a segment
 * is switched at least every `archiveTimeoutSeconds` while anything writes, so at most that much
 * committed data is not yet archived. `-c` arguments of `postgres` (they win over postgresql.conf).
 */
export function archivingArgs(stanza: string, archiveTimeoutSeconds: number): string[] {
    if (!(archiveTimeoutSeconds >= 1 && archiveTimeoutSeconds <= 60)) {
        throw new Error(`archive_timeout ${archiveTimeoutSeconds}s must be from 1 to 60 seconds (at most a minute of data at risk)`);
    }
    return [
        "-c",
        "wal_level=replica",
        "-c",
        "archive_mode=on",
        "-c",
        `archive_command=pgbackrest --stanza=${stanza} archive-push %p`,
        "-c",
        `archive_timeout=${archiveTimeoutSeconds}`,
    ];
}

/** Settings of the agent (images/postgres/pitr-agent.sh), as its environment. */
export function agentEnv(a: {
    stanza: string;
    fullEverySeconds: number;
    incrementalEverySeconds: number;
    verifyEverySeconds: number;
    pgdata: string;
    metricsDir: string;
}): Record<string, string> {
    if (a.incrementalEverySeconds > a.fullEverySeconds) throw new Error("incremental backups must be at least as frequent as full ones");
    return {
        PITR_STANZA: a.stanza,
        PITR_FULL_EVERY_SECONDS: String(a.fullEverySeconds),
        PITR_INCR_EVERY_SECONDS: String(a.incrementalEverySeconds),
        PITR_VERIFY_EVERY_SECONDS: String(a.verifyEverySeconds),
        PITR_PGDATA: a.pgdata,
        PITR_METRICS_DIR: a.metricsDir,
    };
}

/**
 * The live database pod's role: read, write and delete under the repository prefix only
 * (pgBackRest's expire deletes what retention no longer needs; with versioning the old versions
 * remain until the lifecycle rule of the prefix removes them). Nothing outside the prefix: the
 * logical dumps under backups/ are out of its reach.
 */
export function pitrWriterPolicy(bucketArn: string, prefix: string, kmsKeyArn: string | undefined, region: string): PolicyDocument {
    const readWrite = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];
    const statement = { Sid: "ReadWriteRepository", Effect: "Allow", Action: readWrite, Resource: `${bucketArn}/${prefix}*` };
    return prefixRolePolicy(bucketArn, prefix, [statement], { keyArn: kmsKeyArn, actions: ["kms:GenerateDataKey", "kms:Decrypt"], region });
}

/** A restored instance's role: read the repository, nothing else, so the copy can never write into it. */
export function pitrReaderPolicy(bucketArn: string, prefix: string, kmsKeyArn: string | undefined, region: string): PolicyDocument {
    const read = { Sid: "ReadRepository", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${prefix}*` };
    return prefixRolePolicy(bucketArn, prefix, [read], { keyArn: kmsKeyArn, actions: ["kms:Decrypt"], region });
}

/**
 * The repository's lifecycle: no age-based expiry of current objects (pgBackRest's retention
 * decides what the window needs); versions pgBackRest deleted or replaced go after
 * NONCURRENT_VERSION_DAYS, and their delete markers with them.
 */
export function pitrLifecycleRule(prefix: string): LifecycleRule {
    return {
        id: "pgbackrest-deleted-versions",
        status: "Enabled",
        filter: { prefix },
        expiration: { expiredObjectDeleteMarker: true },
        noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
    };
}

/**
 * The bucket's lifecycle: the logical tier's age-based rules, plus the repository's rule when the
 * stack runs point-in-time recovery. Refuses a set-up where an age-based expiry would reach into the
 * repository (it would delete WAL and backups pgBackRest still needs for the window).
 */
export function bucketLifecycleRules(retentionDays: number, backupPrefix: string, pitrPrefix?: string): LifecycleRule[] {
    const rules = backupLifecycleRules(retentionDays, backupPrefix);
    if (pitrPrefix === undefined) return rules;
    for (const r of rules) {
        if (r.expiration?.days !== undefined && pitrPrefix.startsWith(r.filter.prefix)) {
            throw new Error(
                `lifecycle rule ${r.id} (prefix '${r.filter.prefix}') would expire the pgBackRest repository under '${pitrPrefix}'`,
            );
        }
    }
    return [...rules, pitrLifecycleRule(pitrPrefix)];
}
