// The backup bucket's security and retention rules as plain data: IAM trust and permission
// policies, the bucket policy, lifecycle rules and per-environment resource options. Pure
// functions of strings, so tests check them without Pulumi.
import { LOCK_DIR } from "../../config/backup-contract";
import { EnvironmentName } from "../../config/types";

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Array<Record<string, unknown>>;
}

/** Days a replaced or expired backup version is kept before the lifecycle removes it. */
export const NONCURRENT_VERSION_DAYS = 7;
/** Days after which an upload that never completed (a failed backup) is aborted. */
export const ABORT_MULTIPART_DAYS = 1;
/** Where the backup program keeps its lock generations, under the prefix (components/backup/logical/lock.ts). */
export const LOCK_KEY_SUFFIX = `${LOCK_DIR}*`;

/**
 * Resource options that differ by environment. Production's bucket and key are `protect`ed: a
 * `pulumi destroy` or an accidental replacement cannot delete the backups (mocks never see options,
 * so tests call this function).
 */
export function backupResourceOptions(environment: EnvironmentName): { protect: boolean } {
    return { protect: environment === "production" };
}

/** IRSA trust: only this cluster's ServiceAccount `<namespace>/<name>` may assume the role. */
export function irsaTrustPolicy(
    oidcProviderArn: string,
    oidcProviderUrl: string,
    namespace: string,
    serviceAccount: string,
): PolicyDocument {
    const issuer = oidcProviderUrl.replace(/^https:\/\//, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    };
}

export function listUnderPrefix(bucketArn: string, prefix: string): Record<string, unknown> {
    return {
        Sid: "ListBackups",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } },
    };
}

export function kmsViaS3(actions: string[], kmsKeyArn: string, region: string): Record<string, unknown> {
    return {
        Sid: "UseBackupKeyThroughS3",
        Effect: "Allow",
        Action: actions,
        Resource: kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    };
}

/**
 * The backup CronJob's role: write backups and lock generations under the prefix, read the lock.
 * No s3:DeleteObject anywhere, and no overwrite either: the bucket policy refuses this role any write
 * without If-None-Match (writeOnceStatement), so a compromised backup pod can neither destroy nor
 * replace an existing backup, sidecar or lock generation.
 * kms:Decrypt is needed too: S3 decrypts the data key to complete a multipart upload under SSE-KMS,
 * and reading the (encrypted) lock object decrypts.
 */
export function writerPolicy(bucketArn: string, prefix: string, kmsKeyArn: string | undefined, region: string): PolicyDocument {
    const statements: Array<Record<string, unknown>> = [
        listUnderPrefix(bucketArn, prefix),
        {
            Sid: "WriteBackups",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            Resource: `${bucketArn}/${prefix}*`,
        },
        { Sid: "ReadLock", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${prefix}${LOCK_KEY_SUFFIX}` },
    ];
    if (kmsKeyArn) statements.push(kmsViaS3(["kms:GenerateDataKey", "kms:Decrypt"], kmsKeyArn, region));
    return { Version: "2012-10-17", Statement: statements };
}

/** The restore Job's role: list and read backups, decrypt them; nothing else. */
export function readerPolicy(bucketArn: string, prefix: string, kmsKeyArn: string | undefined, region: string): PolicyDocument {
    const statements: Array<Record<string, unknown>> = [
        listUnderPrefix(bucketArn, prefix),
        { Sid: "ReadBackups", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${prefix}*` },
    ];
    if (kmsKeyArn) statements.push(kmsViaS3(["kms:Decrypt"], kmsKeyArn, region));
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * The writer role may only create objects under the prefix, never replace one: a PutObject or
 * CompleteMultipartUpload without `If-None-Match: *` is denied (AWS's documented way to enforce
 * conditional writes; s3:ObjectCreationOperation exempts CreateMultipartUpload and UploadPart, which
 * take no conditional header). Keyed on the principal's ARN, so the role need not exist first.
 */
export function writeOnceStatement(bucketArn: string, prefix: string, writerRoleArn: string): Record<string, unknown> {
    return {
        Sid: "DenyOverwritesByBackupWriter",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/${prefix}*`,
        Condition: {
            ArnEquals: { "aws:PrincipalArn": writerRoleArn },
            Null: { "s3:if-none-match": "true" },
            Bool: { "s3:ObjectCreationOperation": "true" },
        },
    };
}

/** Every request must use TLS. */
export function tlsOnlyStatement(bucketArn: string): Record<string, unknown> {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

export function backupBucketPolicy(bucketArn: string, prefix: string, writerRoleArn: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [tlsOnlyStatement(bucketArn), writeOnceStatement(bucketArn, prefix, writerRoleArn)] };
}

/** The access-log bucket: TLS only, and S3's log delivery may write logs of the backup bucket only. */
export function logBucketPolicy(logBucketArn: string, sourceBucketArn: string, accountId: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            tlsOnlyStatement(logBucketArn),
            {
                Sid: "AllowS3ServerAccessLogs",
                Effect: "Allow",
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: `${logBucketArn}/*`,
                Condition: { ArnLike: { "aws:SourceArn": sourceBucketArn }, StringEquals: { "aws:SourceAccount": accountId } },
            },
        ],
    };
}

export interface LifecycleRule {
    id: string;
    status: "Enabled";
    filter: { prefix: string };
    expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
    noncurrentVersionExpiration?: { noncurrentDays: number };
    abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * Backups expire after the environment's retention; the versions that leaves behind (and any
 * overwritten object) go NONCURRENT_VERSION_DAYS later; leftover delete markers are removed; an
 * upload that never completed is aborted after ABORT_MULTIPART_DAYS, bucket-wide.
 */
export function backupLifecycleRules(retentionDays: number, prefix: string): LifecycleRule[] {
    return [
        {
            id: "expire-backups",
            status: "Enabled",
            filter: { prefix },
            expiration: { days: retentionDays },
            noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
        },
        { id: "remove-expired-delete-markers", status: "Enabled", filter: { prefix }, expiration: { expiredObjectDeleteMarker: true } },
        {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: { prefix: "" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
        },
    ];
}

/** Access logs: kept ACCESS_LOG_DAYS, versions a week more, unfinished uploads aborted. */
export const ACCESS_LOG_DAYS = 90;
export function accessLogLifecycleRules(): LifecycleRule[] {
    return [
        {
            id: "expire-access-logs",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: ACCESS_LOG_DAYS },
            noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_MULTIPART_DAYS },
        },
    ];
}
