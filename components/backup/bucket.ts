// BackupBucket: the S3 bucket the backup CronJob writes to, locked down (versioning, encryption,
// public access block, ACLs off, TLS only), pruned by lifecycle rules, optionally under Object Lock
// and with access logs, plus the IRSA roles of the backup (writer) and restore (reader) pods.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { EnvironmentName } from "../../config/types";
import { bucketLifecycleRules } from "./pitr-config";
import {
    accessLogLifecycleRules,
    backupBucketPolicy,
    backupKeyPolicy,
    backupResourceOptions,
    irsaTrustPolicy,
    logBucketPolicy,
    readerPolicy,
    writerPolicy,
} from "./policies";

/** Values as config/backup.ts decided and validated them (retention 1-3650 days, lock <= retention). */
export interface BackupBucketArgs {
    environment: EnvironmentName;
    /** Protect the bucket and its key (production). */
    protect: boolean;
    retentionDays: number;
    /** Key prefix of the backups, e.g. "backups/". */
    prefix: string;
    /** "kms": a customer managed key this component creates (rotation on); "s3": SSE-S3. */
    encryption: "kms" | "s3";
    /** > 0: Object Lock in governance mode with this default retention (set at bucket creation). */
    objectLockDays: number;
    accessLogging: boolean;
    region: string;
    oidcProviderArn: string;
    oidcProviderUrl: string;
    /** Where the backup and restore pods run, and their ServiceAccounts (the roles trust only these). */
    namespace: string;
    writerServiceAccount: string;
    readerServiceAccount: string;
    /** Prefix of the pgBackRest repository (point-in-time recovery): pgBackRest owns its retention. */
    pitrPrefix?: string;
    tags?: Record<string, string>;
}

export class BackupBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly writerRoleArn: pulumi.Output<string>;
    public readonly readerRoleArn: pulumi.Output<string>;
    public readonly kmsKeyArn?: pulumi.Output<string>;
    public readonly logBucketName?: pulumi.Output<string>;

    constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kline:backup:BackupBucket", name, {}, opts);
        const child = { parent: this };
        // The bucket and its key hold the backups: protected in production.
        const keep = { ...child, ...backupResourceOptions(args.protect) };
        const base = `kline-analytics-${args.environment}`;

        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, child);

        const bucket = new aws.s3.Bucket(
            `${name}-bucket`,
            {
                bucket: pulumi.interpolate`${base}-backups-${suffix.hex}`,
                forceDestroy: false,
                objectLockEnabled: args.objectLockDays > 0,
                tags: args.tags,
            },
            keep,
        );
        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        const onBucket = { ...child, dependsOn: [bucket] };

        // --- IRSA roles, the key, the roles' permissions ----------------------------------------------
        // The key's policy names the roles, so the roles exist first; their permissions name the key.
        const roles = {
            writer: this.irsaRole(name, base, args, "writer", args.writerServiceAccount),
            reader: this.irsaRole(name, base, args, "reader", args.readerServiceAccount),
        };
        const account = aws.getCallerIdentityOutput({}, child);
        let kmsKey: aws.kms.Key | undefined;
        if (args.encryption === "kms") {
            kmsKey = new aws.kms.Key(
                `${name}-key`,
                {
                    description: `${base} PostgreSQL backups`,
                    enableKeyRotation: true,
                    deletionWindowInDays: 30,
                    policy: pulumi
                        .all([account.arn, account.accountId, bucket.arn, roles.writer.arn, roles.reader.arn])
                        .apply(([identity, accountId, bucketArn, writerRoleArn, readerRoleArn]) =>
                            JSON.stringify(
                                backupKeyPolicy({
                                    partition: identity.split(":")[1],
                                    accountId,
                                    region: args.region,
                                    bucketArn,
                                    writerRoleArn,
                                    readerRoleArn,
                                }),
                            ),
                        ),
                    tags: args.tags,
                },
                keep,
            );
            new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${base}-backups`, targetKeyId: kmsKey.keyId }, child);
            this.kmsKeyArn = kmsKey.arn;
        }
        const kmsArn = kmsKey ? kmsKey.arn : pulumi.output(undefined);
        for (const [role, policy] of [
            ["writer", writerPolicy],
            ["reader", readerPolicy],
        ] as const) {
            new aws.iam.RolePolicy(
                `${name}-${role}-policy`,
                {
                    role: roles[role].id,
                    policy: pulumi
                        .all([bucket.arn, kmsArn])
                        .apply(([arn, key]) => JSON.stringify(policy(arn, args.prefix, key, args.region))),
                },
                child,
            );
        }
        this.writerRoleArn = roles.writer.arn;
        this.readerRoleArn = roles.reader.arn;

        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            child,
        );
        new aws.s3.BucketOwnershipControls(
            `${name}-ownership`,
            { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
            child,
        );
        const versioning = new aws.s3.BucketVersioning(
            `${name}-versioning`,
            { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
            child,
        );
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucket.id,
                rules: [
                    kmsKey
                        ? {
                              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKey.arn },
                              bucketKeyEnabled: true,
                          }
                        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                ],
            },
            child,
        );
        new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.arn, this.writerRoleArn, kmsArn])
                    .apply(([arn, writer, key]) => JSON.stringify(backupBucketPolicy(arn, args.prefix, writer, key))),
            },
            // A policy put while the public access block is being set up is refused: order them.
            { ...child, dependsOn: [publicAccess] },
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            { bucket: bucket.id, rules: bucketLifecycleRules(args.retentionDays, args.prefix, args.pitrPrefix) },
            // Lifecycle rules on noncurrent versions need versioning in place first.
            { ...child, dependsOn: [versioning] },
        );
        if (args.objectLockDays > 0) {
            new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                {
                    bucket: bucket.id,
                    objectLockEnabled: "Enabled",
                    rule: { defaultRetention: { mode: "GOVERNANCE", days: args.objectLockDays } },
                },
                { ...child, dependsOn: [versioning] },
            );
        }

        if (args.accessLogging) {
            const logBucket = new aws.s3.Bucket(
                `${name}-log-bucket`,
                { bucket: pulumi.interpolate`${base}-backup-logs-${suffix.hex}`, forceDestroy: false, tags: args.tags },
                keep,
            );
            const logPublicAccess = new aws.s3.BucketPublicAccessBlock(
                `${name}-log-public-access`,
                {
                    bucket: logBucket.id,
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                },
                child,
            );
            new aws.s3.BucketOwnershipControls(
                `${name}-log-ownership`,
                { bucket: logBucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
                child,
            );
            const logVersioning = new aws.s3.BucketVersioning(
                `${name}-log-versioning`,
                { bucket: logBucket.id, versioningConfiguration: { status: "Enabled" } },
                child,
            );
            // S3 server access logs can only be delivered to an SSE-S3 encrypted bucket.
            new aws.s3.BucketServerSideEncryptionConfiguration(
                `${name}-log-encryption`,
                { bucket: logBucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
                child,
            );
            new aws.s3.BucketPolicy(
                `${name}-log-policy`,
                {
                    bucket: logBucket.id,
                    policy: pulumi
                        .all([logBucket.arn, bucket.arn, account.accountId])
                        .apply(([logArn, srcArn, accountId]) => JSON.stringify(logBucketPolicy(logArn, srcArn, accountId))),
                },
                { ...child, dependsOn: [logPublicAccess] },
            );
            new aws.s3.BucketLifecycleConfiguration(
                `${name}-log-lifecycle`,
                { bucket: logBucket.id, rules: accessLogLifecycleRules() },
                { ...child, dependsOn: [logVersioning] },
            );
            new aws.s3.BucketLogging(
                `${name}-logging`,
                { bucket: bucket.id, targetBucket: logBucket.id, targetPrefix: "s3-access/" },
                onBucket,
            );
            this.logBucketName = logBucket.bucket;
        }

        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            writerRoleArn: this.writerRoleArn,
            readerRoleArn: this.readerRoleArn,
        });
    }

    /** An IAM role only the ServiceAccount <namespace>/<serviceAccount> of this cluster may assume (IRSA). */
    private irsaRole(name: string, base: string, args: BackupBucketArgs, role: "writer" | "reader", serviceAccount: string): aws.iam.Role {
        return new aws.iam.Role(
            `${name}-${role}-role`,
            {
                description: `${base} backup ${role} (IRSA ${args.namespace}/${serviceAccount})`,
                assumeRolePolicy: JSON.stringify(
                    irsaTrustPolicy(args.oidcProviderArn, args.oidcProviderUrl, args.namespace, serviceAccount),
                ),
                maxSessionDuration: 3600 * 6,
                tags: args.tags,
            },
            { parent: this },
        );
    }
}
