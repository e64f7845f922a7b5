// The backup bucket's security and retention rules as plain data: IAM trust and permission
// policies, the bucket policy, lifecycle rules and per-environment resource options. Pure
// functions of strings, so tests check them without Pulumi.
import { LOCK_DIR } from "../../contract/backup";

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
export function backupResourceOptions(protect: boolean): { protect: boolean } {
    return { protect };
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

/**
 * A role's policy under one prefix: list it, the given statements, and the key through S3 with
 * `kmsActions` when the bucket has one.
 */
export function prefixRolePolicy(
    bucketArn: string,
    prefix: string,
    statements: Array<Record<string, unknown>>,
    kms: { keyArn: string | undefined; actions: string[]; region: string },
): PolicyDocument {
    const all = [listUnderPrefix(bucketArn, prefix), ...statements];
    if (kms.keyArn) all.push(kmsViaS3(kms.actions, kms.keyArn, kms.region));
    return { Version: "2012-10-17", Statement: all };
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
    const write = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];
    return prefixRolePolicy(
        bucketArn,
        prefix,
        [
            { Sid: "WriteBackups", Effect: "Allow", Action: write, Resource: `${bucketArn}/${prefix}*` },
            { Sid: "ReadLock", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${prefix}${LOCK_KEY_SUFFIX}` },
        ],
        { keyArn: kmsKeyArn, actions: ["kms:GenerateDataKey", "kms:Decrypt"], region },
    );
}

/** The restore Job's role: list and read backups, decrypt them; nothing else. */
export function readerPolicy(bucketArn: string, prefix: string, kmsKeyArn: string | undefined, region: string): PolicyDocument {
    const read = { Sid: "ReadBackups", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${prefix}*` };
    return prefixRolePolicy(bucketArn, prefix, [read], { keyArn: kmsKeyArn, actions: ["kms:Decrypt"], region });
}

/**
 * The writer role may only create objects under the prefix, never replace one: a PutObject or
 * CompleteMultipartUpload without `If-None-Match: *` is denied (AWS's documented way to enforce
 * conditional writes; s3:ObjectCreationOperation exempts CreateMultipartUpload and UploadPart, which
 * take no conditional header). Keyed on the principal's ARN, so the role need not exist first.
 */
export function writeOnceStatement(bucketArn: string, prefix: string, writerRoleArn: string): Record<string, unknown> {
    return denyAll("DenyOverwritesByBackupWriter", "s3:PutObject", `${bucketArn}/${prefix}*`, {
        ArnEquals: { "aws:PrincipalArn": writerRoleArn },
        Null: { "s3:if-none-match": "true" },
        Bool: { "s3:ObjectCreationOperation": "true" },
    });
}

/** A bucket policy statement that denies `action` on `resource` to every principal when `condition` holds. */
function denyAll(sid: string, action: string, resource: string | string[], condition: Record<string, unknown>): Record<string, unknown> {
    return { Sid: sid, Effect: "Deny", Principal: "*", Action: action, Resource: resource, Condition: condition };
}

/** Every request must use TLS. */
export function tlsOnlyStatement(bucketArn: string): Record<string, unknown> {
    return denyAll("DenyInsecureTransport", "s3:*", [bucketArn, `${bucketArn}/*`], { Bool: { "aws:SecureTransport": "false" } });
}

const SSE = "s3:x-amz-server-side-encryption";
const SSE_KMS_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id";
const SSE_CUSTOMER_ALGORITHM = "s3:x-amz-server-side-encryption-customer-algorithm";

/** A Deny of uploads (PutObject, which also authorises multipart uploads and their parts) matching `condition`. */
function denyUploads(sid: string, bucketArn: string, condition: Record<string, unknown>): Record<string, unknown> {
    return denyAll(sid, "s3:PutObject", `${bucketArn}/*`, condition);
}

/**
 * Uploads may use the bucket's own encryption only. An upload without encryption headers gets the
 * bucket default (the key, or SSE-S3), so a missing header is allowed (the *IfExists conditions);
 * any other algorithm, another KMS key, `aws:kms` without a key id (S3 would use the account's
 * aws/s3 key) and customer-provided keys (SSE-C) are denied.
 */
export function encryptionStatements(bucketArn: string, kmsKeyArn: string | undefined): Array<Record<string, unknown>> {
    const customerKeys = denyUploads("DenyCustomerProvidedKeys", bucketArn, { Null: { [SSE_CUSTOMER_ALGORITHM]: "false" } });
    if (!kmsKeyArn) {
        return [denyUploads("DenyOtherEncryption", bucketArn, { StringNotEqualsIfExists: { [SSE]: "AES256" } }), customerKeys];
    }
    return [
        denyUploads("DenyOtherEncryption", bucketArn, { StringNotEqualsIfExists: { [SSE]: "aws:kms" } }),
        denyUploads("DenyOtherKmsKeys", bucketArn, { StringNotEqualsIfExists: { [SSE_KMS_KEY]: kmsKeyArn } }),
        denyUploads("DenyKmsWithoutTheBackupKey", bucketArn, { StringEquals: { [SSE]: "aws:kms" }, Null: { [SSE_KMS_KEY]: "true" } }),
        customerKeys,
    ];
}

/**
 * TLS only, the writer's objects written once, and uploads only under the bucket's encryption (the
 * backup key with `kms`).
 */
export function backupBucketPolicy(bucketArn: string, prefix: string, writerRoleArn: string, kmsKeyArn?: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            tlsOnlyStatement(bucketArn),
            writeOnceStatement(bucketArn, prefix, writerRoleArn),
            ...encryptionStatements(bucketArn, kmsKeyArn),
        ],
    };
}

/**
 * What key administrators may do: manage the key, its alias, rotation, tags and deletion, and read
 * and replace its policy. Never encrypt or decrypt, and never create grants (a grant could hand
 * decryption to anyone).
 */
export const KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

export interface KeyPolicyArgs {
    /** The AWS partition and account that own the key (from the deploying identity). */
    partition: string;
    accountId: string;
    region: string;
    bucketArn: string;
    writerRoleArn: string;
    readerRoleArn: string;
}

/**
 * The backup key's policy. Administration goes to the account (its root principal), for the
 * administration actions only: which people and deploy roles may administer is then decided by
 * their IAM policies, so the key never depends on one role that could be deleted (a key nobody may
 * manage can only be recovered by AWS support), and no IAM policy in the account can grant using
 * the key. Using it is for the two backup roles alone, through S3 in this region, for this
 * bucket's objects: the writer generates data keys and decrypts (multipart uploads and the lock
 * object need it), the reader only decrypts.
 */
export function backupKeyPolicy(a: KeyPolicyArgs): PolicyDocument {
    const through = {
        StringEquals: { "kms:ViaService": `s3.${a.region}.amazonaws.com`, "kms:CallerAccount": a.accountId },
        // With S3 Bucket Keys the encryption context is the bucket's ARN, without them the object's.
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [a.bucketArn, `${a.bucketArn}/*`] },
    };
    const use = (sid: string, role: string, actions: string[]) => ({
        Sid: sid,
        Effect: "Allow",
        Principal: { AWS: role },
        Action: actions,
        Resource: "*",
        Condition: through,
    });
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "KeyAdministration",
                Effect: "Allow",
                Principal: { AWS: `arn:${a.partition}:iam::${a.accountId}:root` },
                Action: KEY_ADMIN_ACTIONS,
                Resource: "*",
            },
            use("BackupWriterThroughS3", a.writerRoleArn, ["kms:GenerateDataKey", "kms:Decrypt"]),
            use("RestoreReaderThroughS3", a.readerRoleArn, ["kms:Decrypt"]),
        ],
    };
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
