// Backups under Pulumi mocks, for every stack file: the bucket's security and retention settings,
// the IRSA roles, the CronJob and its pod, the NetworkPolicy, the restore Job on request, and the
// canary's absence of all of it (via the harness's renderStack).
import { strict as assert } from "assert";
import { LOCK_TTL, backupResourceOptions, encryptionStatements } from "../../components/backup";
import { BACKUP_CRONJOB_NAME } from "../../contract/names";
import { dashboardParams } from "../../components/monitoring/params";
import { ENVIRONMENTS } from "../../config/environments";
import { RenderResult, ResourceRecord, STACKS, object, objects, podSpecs, renderStack, resources } from "../harness";
import { restrictedViolations } from "../lib/pss";
import { ConfigError, buildConfig } from "../../config";
import { DEFAULT_SECRETS, REQUIRED_CONFIG, mapSource } from "../lib/config-source";
import { DB_ROLES_SQL_PATH } from "../../components/app/db-roles";
import { computeState } from "../../renderer";
import * as fs from "fs";

const EXPECTED = {
    development: { retention: 7, schedule: "0 1 * * *", concurrency: "3", objectLock: 0, logging: false, protect: false },
    staging: { retention: 14, schedule: "30 1 * * *", concurrency: "4", objectLock: 0, logging: false, protect: false },
    production: { retention: 30, schedule: "0 2 * * *", concurrency: "5", objectLock: 30, logging: true, protect: true },
} as const;

function one(r: RenderResult, type: string, name: string): ResourceRecord {
    const found = resources(r, type).filter((x) => x.name === name);
    assert.equal(found.length, 1, `${r.stack}: expected one ${type} ${name}, found ${found.length}`);
    return found[0];
}

const restoreJobs = (r: RenderResult) => objects(r, "Job").filter((j) => j.metadata.name.startsWith("kline-analytics-restore"));
const policyOf = (rec: ResourceRecord, key = "policy") => JSON.parse(rec.inputs[key]);
const actionsOf = (doc: any): string[] => doc.Statement.flatMap((s: any) => [s.Action].flat());

for (const stack of ["development", "staging", "production"] as const) {
    const want = EXPECTED[stack];
    const ns = `kline-analytics-${stack}`;

    describe(`backups in stack ${stack}`, () => {
        let r: RenderResult;
        let bucketName: string;
        let bucketArn: string;
        before(async () => {
            r = await renderStack(stack);
            const bucket = one(r, "aws:s3/bucket:Bucket", "backup-bucket");
            bucketName = bucket.inputs.bucket;
            bucketArn = `arn:aws:s3:::${bucketName}`;
        });

        it("bucket: unique name from a RandomId, never force-destroyed, versioned, encrypted with a rotating KMS key", () => {
            assert.match(bucketName, new RegExp(`^kline-analytics-${stack}-backups-[0-9a-f]{8}$`));
            assert.equal(one(r, "random:index/randomId:RandomId", "backup-suffix").inputs.byteLength, 4);
            const bucket = one(r, "aws:s3/bucket:Bucket", "backup-bucket");
            assert.equal(bucket.inputs.forceDestroy, false);
            assert.equal(
                one(r, "aws:s3/bucketVersioning:BucketVersioning", "backup-versioning").inputs.versioningConfiguration.status,
                "Enabled",
            );
            const key = one(r, "aws:kms/key:Key", "backup-key");
            assert.equal(key.inputs.enableKeyRotation, true);
            const [rule] = one(
                r,
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "backup-encryption",
            ).inputs.rules;
            assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
            assert.match(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, /^arn:aws:kms:/);
            assert.equal(rule.bucketKeyEnabled, true);
        });

        it("bucket: all four public access blocks, ACLs disabled, a policy that denies every non-TLS request, every overwrite by the writer and every upload not under the backup key", () => {
            const pab = one(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backup-public-access").inputs;
            for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
                assert.equal(pab[flag], true, flag);
            assert.equal(
                one(r, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "backup-ownership").inputs.rule.objectOwnership,
                "BucketOwnerEnforced",
            );
            const keyArn = r.resources.find(
                (x) => x.type === "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            )!.inputs.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId;
            const policy = policyOf(one(r, "aws:s3/bucketPolicy:BucketPolicy", "backup-policy"));
            const denyUploads = (Sid: string, Condition: unknown) => ({
                Sid,
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition,
            });
            assert.deepEqual(policy.Statement, [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [bucketArn, `${bucketArn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
                {
                    Sid: "DenyOverwritesByBackupWriter",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:PutObject",
                    Resource: `${bucketArn}/backups/*`,
                    Condition: {
                        ArnEquals: { "aws:PrincipalArn": r.outputs.backup.writerRoleArn },
                        Null: { "s3:if-none-match": "true" },
                        Bool: { "s3:ObjectCreationOperation": "true" },
                    },
                },
                // No header: the bucket default (the key) applies; any other setting is refused.
                denyUploads("DenyOtherEncryption", { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } }),
                denyUploads("DenyOtherKmsKeys", { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn } }),
                denyUploads("DenyKmsWithoutTheBackupKey", {
                    StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                    Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
                }),
                denyUploads("DenyCustomerProvidedKeys", { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } }),
            ]);
        });

        it("KMS key policy: the account administers (no use, no grants); only the two backup roles use it, through S3, for this bucket", () => {
            const doc = policyOf(one(r, "aws:kms/key:Key", "backup-key"));
            const [admin, writer, reader] = doc.Statement;
            assert.equal(doc.Statement.length, 3);
            assert.deepEqual(admin.Principal, { AWS: "arn:aws:iam::123456789012:root" });
            for (const forbidden of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:*"])
                assert.ok(!admin.Action.includes(forbidden), `administrators may not ${forbidden}`);
            assert.ok(
                admin.Action.every((a: string) => !a.includes("*")),
                "no wildcard administration action",
            );
            assert.ok(admin.Action.includes("kms:PutKeyPolicy") && admin.Action.includes("kms:ScheduleKeyDeletion"));
            const roleArn = (name: string) => {
                const role = one(r, "aws:iam/role:Role", name);
                return `arn:aws:iam::123456789012:role/${role.name}`;
            };
            const condition = {
                StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com", "kms:CallerAccount": "123456789012" },
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/*`] },
            };
            assert.deepEqual(writer, {
                Sid: "BackupWriterThroughS3",
                Effect: "Allow",
                Principal: { AWS: writer.Principal.AWS },
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: "*",
                Condition: condition,
            });
            assert.match(writer.Principal.AWS, new RegExp(`^${roleArn("backup-writer-role")}`));
            assert.deepEqual(reader.Action, ["kms:Decrypt"]);
            assert.deepEqual(reader.Condition, condition);
            assert.match(reader.Principal.AWS, new RegExp(`^${roleArn("backup-reader-role")}`));
        });

        it(`lifecycle: backups expire after ${want.retention} days, old versions after 7, unfinished uploads are aborted after 1`, () => {
            const rules = one(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backup-lifecycle").inputs.rules;
            const byId = Object.fromEntries(rules.map((x: any) => [x.id, x]));
            assert.deepEqual(byId["expire-backups"], {
                id: "expire-backups",
                status: "Enabled",
                filter: { prefix: "backups/" },
                expiration: { days: want.retention },
                noncurrentVersionExpiration: { noncurrentDays: 7 },
            });
            assert.deepEqual(byId["remove-expired-delete-markers"].expiration, { expiredObjectDeleteMarker: true });
            assert.deepEqual(byId["abort-incomplete-multipart-uploads"].abortIncompleteMultipartUpload, { daysAfterInitiation: 1 });
            assert.equal(byId["abort-incomplete-multipart-uploads"].filter.prefix, "", "applies to the whole bucket");
        });

        it(want.objectLock ? `Object Lock in governance mode for ${want.objectLock} days` : "no Object Lock", () => {
            const bucket = one(r, "aws:s3/bucket:Bucket", "backup-bucket");
            const lock = resources(r, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
            assert.equal(bucket.inputs.objectLockEnabled, want.objectLock > 0);
            if (want.objectLock) {
                assert.equal(lock.length, 1);
                assert.deepEqual(lock[0].inputs.rule, { defaultRetention: { mode: "GOVERNANCE", days: want.objectLock } });
            } else {
                assert.equal(lock.length, 0);
            }
        });

        it(want.logging ? "access logs go to a separate, private, SSE-S3 log bucket" : "no access-log bucket", () => {
            const logging = resources(r, "aws:s3/bucketLogging:BucketLogging");
            if (!want.logging) {
                assert.equal(logging.length, 0);
                assert.equal(resources(r, "aws:s3/bucket:Bucket").length, 1);
                return;
            }
            const logBucket = one(r, "aws:s3/bucket:Bucket", "backup-log-bucket").inputs.bucket;
            assert.match(logBucket, new RegExp(`^kline-analytics-${stack}-backup-logs-[0-9a-f]{8}$`));
            assert.equal(logging.length, 1);
            assert.equal(logging[0].inputs.targetBucket, logBucket);
            const pab = one(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backup-log-public-access").inputs;
            assert.ok(pab.blockPublicAcls && pab.blockPublicPolicy && pab.ignorePublicAcls && pab.restrictPublicBuckets);
            const logPolicy = policyOf(one(r, "aws:s3/bucketPolicy:BucketPolicy", "backup-log-policy"));
            const delivery = logPolicy.Statement.find((s: any) => s.Sid === "AllowS3ServerAccessLogs");
            assert.deepEqual(delivery.Principal, { Service: "logging.s3.amazonaws.com" });
            assert.equal(delivery.Condition.ArnLike["aws:SourceArn"], bucketArn);
            assert.ok(logPolicy.Statement.some((s: any) => s.Sid === "DenyInsecureTransport"));
        });

        it(`protect: ${want.protect} on the bucket and the key (the exported option function and what the engine sees)`, () => {
            assert.deepEqual(backupResourceOptions(ENVIRONMENTS[stack].protect), { protect: want.protect });
            for (const [type, name] of [
                ["aws:s3/bucket:Bucket", "backup-bucket"],
                ["aws:kms/key:Key", "backup-key"],
            ]) {
                assert.equal(one(r, type, name).options.protect === true, want.protect, `${name} protect`);
            }
        });

        it("IRSA: the writer role trusts only the backup ServiceAccount, may write but never delete", () => {
            const role = one(r, "aws:iam/role:Role", "backup-writer-role");
            const trust = policyOf(role, "assumeRolePolicy");
            const [stmt] = trust.Statement;
            assert.equal(stmt.Action, "sts:AssumeRoleWithWebIdentity");
            assert.match(stmt.Principal.Federated, /^arn:aws:iam::\d{12}:oidc-provider\/oidc\.eks\./);
            const cond = stmt.Condition.StringEquals;
            const subKey = Object.keys(cond).find((k) => k.endsWith(":sub"))!;
            assert.match(subKey, /^oidc\.eks\.us-west-2\.amazonaws\.com\/id\/\w+:sub$/, "the issuer without https://");
            assert.equal(cond[subKey], `system:serviceaccount:${ns}:kline-analytics-backup`);
            assert.equal(cond[subKey.replace(/:sub$/, ":aud")], "sts.amazonaws.com");

            const policy = policyOf(one(r, "aws:iam/rolePolicy:RolePolicy", "backup-writer-policy"));
            const actions = actionsOf(policy);
            assert.ok(!actions.some((a) => /Delete|\*/.test(a)), `no delete or wildcard action: ${actions}`);
            const write = policy.Statement.find((s: any) => s.Sid === "WriteBackups");
            assert.deepEqual(write.Action, ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]);
            assert.equal(write.Resource, `${bucketArn}/backups/*`);
            assert.equal(policy.Statement.find((s: any) => s.Sid === "ReadLock").Resource, `${bucketArn}/backups/.locks/*`);
            assert.deepEqual(policy.Statement.find((s: any) => s.Sid === "ListBackups").Condition, {
                StringLike: { "s3:prefix": ["backups/", "backups/*"] },
            });
            const kms = policy.Statement.find((s: any) => s.Sid === "UseBackupKeyThroughS3");
            assert.deepEqual(kms.Action, ["kms:GenerateDataKey", "kms:Decrypt"]);
            assert.deepEqual(kms.Condition, { StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } });
        });

        it("IRSA: the reader role trusts only the restore ServiceAccount and may only list, read and decrypt", () => {
            const trust = policyOf(one(r, "aws:iam/role:Role", "backup-reader-role"), "assumeRolePolicy");
            const cond = trust.Statement[0].Condition.StringEquals;
            assert.ok(Object.values(cond).includes(`system:serviceaccount:${ns}:kline-analytics-restore`));
            const policy = policyOf(one(r, "aws:iam/rolePolicy:RolePolicy", "backup-reader-policy"));
            assert.deepEqual(actionsOf(policy).sort(), ["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
        });

        it(`CronJob ${BACKUP_CRONJOB_NAME}: ${want.schedule} UTC, Forbid, deadlines, history and TTL`, () => {
            const cj = object(r, "CronJob", BACKUP_CRONJOB_NAME);
            assert.equal(cj.metadata.namespace, ns);
            const { jobTemplate, ...spec } = cj.spec;
            assert.deepEqual(spec, {
                schedule: want.schedule,
                timeZone: "UTC",
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 3600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
            });
            assert.equal(jobTemplate.spec.backoffLimit, 2);
            assert.equal(jobTemplate.spec.activeDeadlineSeconds, 4 * 3600);
            assert.equal(jobTemplate.spec.ttlSecondsAfterFinished, 3 * 86400);
            assert.equal(dashboardParams().backupCronJob, BACKUP_CRONJOB_NAME, "the monitoring freshness alert watches this CronJob");
            const t = ENVIRONMENTS[stack].alerts;
            assert.equal(
                t.backupScheduleLateHours * 3600,
                spec.startingDeadlineSeconds,
                "KlineAnalyticsBackupScheduleMissed waits the starting deadline",
            );
            assert.ok(t.backupMaxAgeHours > 24, "the daily schedule fits KlineAnalyticsBackupTooOld/NotScheduled's limit");
        });

        it("backup pod: restricted, read-only root with /tmp emptyDir, pinned image carrying the script, the backup role, settings from config", () => {
            const [pod] = podSpecs(objects(r, "CronJob", BACKUP_CRONJOB_NAME));
            assert.deepEqual(restrictedViolations(pod.spec), []);
            assert.equal(pod.labels["app.kubernetes.io/name"], "kline-analytics-backup", "the in-cluster database admits this label");
            const c = pod.spec.containers[0];
            assert.match(c.image, /^[^:@]+(:[\w.-]+)$/);
            assert.doesNotMatch(c.image, /:latest$/);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true);
            assert.deepEqual(c.command, ["/bin/bash", "/opt/kline-backup/backup-restore.sh"], "the script in the image");
            assert.deepEqual(c.args, ["backup"]);
            assert.deepEqual(
                pod.spec.volumes.find((v: any) => v.name === "tmp"),
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
            );
            assert.deepEqual(
                c.volumeMounts,
                [{ name: "tmp", mountPath: "/tmp" }],
                "nothing else is mounted; the root filesystem is read-only",
            );
            const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
            assert.equal(env.BACKUP_S3_BUCKET, bucketName);
            assert.equal(env.BACKUP_S3_PREFIX, "backups/");
            assert.equal(env.AWS_REGION, "us-west-2");
            assert.equal(env.BACKUP_CONCURRENCY, want.concurrency);
            assert.equal(env.BACKUP_LOCK_TTL, String(LOCK_TTL));
            assert.ok(LOCK_TTL > 4 * 3600, "the lock outlives the Job deadline");
            assert.equal(env.PGUSER, "kline_backup", "the read-only backup role, never the app's user");
            assert.deepEqual(env.PGPASSWORD, { secretKeyRef: { name: "kline-analytics-backup-db", key: "backup-password" } });
            assert.equal(env.AWS_CLI, undefined, "the program talks to S3 itself");
            assert.deepEqual(env.BACKUP_LOCK_OWNER, { fieldRef: { fieldPath: "metadata.labels['job-name']" } });
            assert.equal(env.HOME, "/tmp");
            assert.equal(pod.spec.serviceAccountName, "kline-analytics-backup");

            assert.equal(objects(r, "ConfigMap", "kline-analytics-backup-script").length, 0, "the image carries script and program");
            const secret = object(r, "Secret", "kline-analytics-backup-db");
            assert.deepEqual(Object.keys(secret.stringData).sort(), ["backup-password", "restore-password"]);
            for (const v of Object.values(secret.stringData)) assert.equal(v, "[secret]", "the role passwords render only as secrets");
        });

        it("ServiceAccount carries the writer role; no restore Job unless the config asks for one", () => {
            const sa = object(r, "ServiceAccount", "kline-analytics-backup");
            assert.match(sa.metadata.annotations["eks.amazonaws.com/role-arn"], /^arn:aws:iam::\d{12}:role\/backup-writer-role/);
            assert.deepEqual(restoreJobs(r), []);
            assert.equal(objects(r, "ServiceAccount", "kline-analytics-restore").length, 0);
        });

        it("NetworkPolicy: no ingress; egress only to DNS, PostgreSQL and HTTPS (never the metadata service)", () => {
            const np = object(r, "NetworkPolicy", "kline-analytics-backup-egress");
            assert.deepEqual(np.spec.podSelector, { matchLabels: { "app.kubernetes.io/name": "kline-analytics-backup" } });
            assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
            assert.deepEqual(np.spec.ingress, []);
            const ports = np.spec.egress.map((e: any) => e.ports.map((p: any) => `${p.protocol}/${p.port}`).join(","));
            assert.deepEqual(ports, ["UDP/53,TCP/53", "TCP/5432", "TCP/443"]);
            const pg = np.spec.egress[1].to[0];
            if (stack === "development")
                assert.deepEqual(pg, { podSelector: { matchLabels: { "app.kubernetes.io/name": "kline-analytics-postgresql" } } });
            else assert.ok(pg.ipBlock.cidr, "external PostgreSQL by its address block");
            // The public S3 and STS endpoints publish no fixed address blocks: every public address,
            // never private, shared or link-local ones (the instance metadata service among them).
            assert.deepEqual(np.spec.egress[2].to, [
                {
                    ipBlock: {
                        cidr: "0.0.0.0/0",
                        except: ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"],
                    },
                },
            ]);
        });

        it("NetworkPolicy: with backupHttpsEgressCidrs (VPC endpoints), HTTPS reaches those blocks only", async () => {
            const narrowed = await renderStack(stack, { overrides: { backupHttpsEgressCidrs: "10.30.8.0/24, 10.30.9.0/24" } });
            const np = object(narrowed, "NetworkPolicy", "kline-analytics-backup-egress");
            assert.deepEqual(np.spec.egress[2], {
                to: [{ ipBlock: { cidr: "10.30.8.0/24" } }, { ipBlock: { cidr: "10.30.9.0/24" } }],
                ports: [{ protocol: "TCP", port: 443 }],
            });
        });

        it("stack outputs: bucket name and ARN, both role ARNs, the CronJob and its freshness metric", () => {
            const out = r.outputs.backup;
            assert.equal(out.bucket, bucketName);
            assert.equal(out.bucketArn, bucketArn);
            assert.match(out.writerRoleArn, /^arn:aws:iam::\d{12}:role\//);
            assert.match(out.readerRoleArn, /^arn:aws:iam::\d{12}:role\//);
            assert.equal(out.cronJob, BACKUP_CRONJOB_NAME);
            assert.equal(out.retentionDays, want.retention);
            assert.equal(
                out.freshnessMetric,
                `kube_cronjob_status_last_successful_time{namespace="${ns}", cronjob="kline-analytics-backup"}`,
            );
        });
    });
}

describe("backups in stack canary", () => {
    it("creates no bucket, no roles, no CronJob, no backup objects at all (production's backups cover it)", async () => {
        const r = await renderStack("canary");
        assert.deepEqual(
            r.resources.filter((x) => x.type.startsWith("kline:backup:") || x.name.startsWith("backup-")).map((x) => x.name),
            [],
        );
        assert.equal(objects(r, "CronJob").length, 0);
        assert.equal(r.outputs.backup.enabled, false);
        assert.equal(r.outputs.backup.servedBy, "the production stack");
    });
});

describe("restore Job on request", () => {
    it("restoreWindow: a Job under the reader-role ServiceAccount restores the newest good backup into <db>_restored", async () => {
        const r = await renderStack("staging", { overrides: { restoreWindow: "24h" } });
        const [job] = restoreJobs(r);
        assert.match(job.metadata.name, /^kline-analytics-restore-[0-9a-f]{8}$/);
        assert.equal(job.metadata.annotations["pulumi.com/skipAwait"], "true");
        const pod = job.spec.template.spec;
        assert.deepEqual(pod.containers[0].args, ["restore", "--window", "24h", "--target-db", "kline_analytics_restored"]);
        assert.equal(pod.serviceAccountName, "kline-analytics-restore");
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        assert.equal(env.PGUSER, "kline_restore", "the restore role, never the app's user");
        assert.deepEqual(env.PGPASSWORD, { secretKeyRef: { name: "kline-analytics-backup-db", key: "restore-password" } });
        assert.deepEqual(restrictedViolations(pod), []);
        assert.deepEqual(pod.volumes.find((v: any) => v.name === "tmp").emptyDir, { sizeLimit: "20Gi" });
        assert.equal(env.BACKUP_WORK_DIR_LIMIT, "20Gi", "the program sizes its restore by the emptyDir's limit");
        const sa = object(r, "ServiceAccount", "kline-analytics-restore");
        assert.match(sa.metadata.annotations["eks.amazonaws.com/role-arn"], /role\/backup-reader-role/);
        assert.equal(
            job.spec.template.metadata.labels["app.kubernetes.io/name"],
            "kline-analytics-backup",
            "the backup NetworkPolicy applies",
        );
        // Still the daily backup next to it.
        assert.equal(objects(r, "CronJob").length, 1);
    });

    it("restoreBackupName: the named backup, into the configured target; a new request gets a new Job name", async () => {
        const name = "kline_analytics_backup_20240101_020000.dump.zst";
        const a = await renderStack("production", { overrides: { restoreBackupName: name, restoreTargetDb: "kline_dr" } });
        const b = await renderStack("production", { overrides: { restoreWindow: "2d" } });
        const [jobA] = restoreJobs(a);
        const [jobB] = restoreJobs(b);
        assert.deepEqual(jobA.spec.template.spec.containers[0].args, ["restore", name, "--target-db", "kline_dr"]);
        assert.notEqual(jobA.metadata.name, jobB.metadata.name);
    });

    for (const [what, stack, overrides, message] of [
        [
            "a name that is not a backup",
            "staging",
            { restoreBackupName: "backup.sql.gz" },
            /restoreBackupName = "backup\.sql\.gz": a backup name such as kline_analytics_backup_20240101_020000\.dump\.zst/,
        ],
        [
            "a name and a window",
            "staging",
            { restoreBackupName: "kline_analytics_backup_20240101_020000.dump.zst", restoreWindow: "24h" },
            /both set/,
        ],
        [
            "a restore on the canary",
            "canary",
            { restoreWindow: "24h" },
            /restoreWindow is set but this stack has no backups \(the canary shares production's/,
        ],
        [
            "a restore over the live database",
            "staging",
            { restoreWindow: "24h", restoreTargetDb: "kline_analytics" },
            /never replaces the live database/,
        ],
        [
            "Object Lock longer than the retention",
            "staging",
            { backupObjectLockDays: "30" },
            /backupObjectLockDays = "30": Object Lock cannot outlast backupRetentionDays \(14\)/,
        ],
        ["a malformed window", "staging", { restoreWindow: "yesterday" }, /restoreWindow = "yesterday"/],
        [
            "a target database name the script cannot keep a replaced copy of",
            "staging",
            { restoreWindow: "24h", restoreTargetDb: "a".repeat(36) },
            /restoreTargetDb = "a{36}": a lower-case PostgreSQL identifier of at most 35 characters/,
        ],
        [
            "the application's user as the backup role",
            "staging",
            { backupDbUser: "kline" },
            /backupDbUser = "kline": the application's user \(dbUser\) is refused/,
        ],
        [
            "the application's user as the restore role",
            "production",
            { restoreDbUser: "kline" },
            /restoreDbUser = "kline": the application's user/,
        ],
        [
            "one role for backup and restore",
            "staging",
            { restoreDbUser: "kline_backup" },
            /backupDbUser and restoreDbUser are both "kline_backup"/,
        ],
    ] as const) {
        it(`refuses ${what}`, async () => {
            await assert.rejects(renderStack(stack, { overrides: overrides as Record<string, string> }), message);
        });
    }
});

describe("every stack file renders its backups without duplicate registrations", () => {
    for (const stack of STACKS) {
        it(stack, async () => {
            const r = await renderStack(stack);
            const urns = r.resources.filter((x) => x.name.startsWith("backup")).map((x) => `${x.type}::${x.name}`);
            assert.equal(new Set(urns).size, urns.length);
        });
    }
});

describe("the backup jobs' database roles", () => {
    it("their passwords are required secrets while backups are enabled, and refused in plain text", () => {
        const { backupDbPassword, restoreDbPassword, ...others } = DEFAULT_SECRETS;
        assert.ok(backupDbPassword && restoreDbPassword);
        const build = (env: string, secrets: Record<string, string>, plaintext: string[] = []) =>
            buildConfig(mapSource({ ...REQUIRED_CONFIG, environment: env }, secrets, plaintext));
        assert.throws(
            () => build("production", others),
            (e: unknown) =>
                e instanceof ConfigError &&
                /backupDbPassword is not set: the backup jobs log in as "kline_backup"; create the role \(docs\/backups\.md\)/.test(
                    e.message,
                ) &&
                /restoreDbPassword is not set/.test(e.message),
        );
        assert.throws(() => build("production", DEFAULT_SECRETS, ["backupDbPassword"]), /backupDbPassword is stored in plain text/);
        const cfg = build("production", DEFAULT_SECRETS);
        assert.equal(cfg.backup.roles.backupUser, "kline_backup");
        assert.equal(cfg.backup.roles.restoreUser, "kline_restore");
        assert.doesNotThrow(() => build("canary", {}), "the canary takes no backups and needs no role");
    });

    it("with the in-cluster database they are optional (generated); an external one still requires them", () => {
        const { backupDbPassword, restoreDbPassword, ...others } = DEFAULT_SECRETS;
        assert.ok(backupDbPassword && restoreDbPassword);
        const build = (values: Record<string, string>) => buildConfig(mapSource({ ...REQUIRED_CONFIG, ...values }, others));
        const dev = build({ environment: "development" });
        assert.equal(dev.database.inCluster, true);
        assert.equal(dev.backup.enabled, true);
        assert.equal(dev.backup.roles.backupPassword, undefined);
        assert.equal(dev.backup.roles.restorePassword, undefined);
        assert.doesNotThrow(() => build({ environment: "staging", dbInCluster: "true" }));
        assert.throws(
            () => build({ environment: "development", dbInCluster: "false", dbHost: "db.internal.example", dbPassword: "x" }),
            /backupDbPassword is not set: the backup jobs log in as "kline_backup"/,
        );
    });
});

describe("the in-cluster database creates the backup jobs' roles (development)", () => {
    const WAS_SET = "set-in-config-7c2d41";
    let generated: RenderResult;
    let configured: RenderResult;
    before(async () => {
        // Pulumi.development.yaml sets neither role password: the program generates both.
        generated = await renderStack("development");
        configured = await renderStack("development", {
            overrides: { backupDbPassword: { secret: `backup-${WAS_SET}` }, restoreDbPassword: { secret: `restore-${WAS_SET}` } },
        });
    });
    const server = (r: RenderResult) =>
        object(r, "StatefulSet", "kline-analytics-postgresql").spec.template.spec.containers.find((c: any) => c.name === "postgresql");
    const passwords = (r: RenderResult) =>
        resources(r, "random:index/randomPassword:RandomPassword")
            .map((x) => x.name)
            .filter((n) => n.startsWith("kline-analytics-postgresql-"))
            .sort();

    it("generates both passwords like the database's own, only when the config sets none", () => {
        assert.deepEqual(passwords(generated), [
            "kline-analytics-postgresql-backup-password",
            "kline-analytics-postgresql-password",
            "kline-analytics-postgresql-restore-password",
        ]);
        for (const name of ["kline-analytics-postgresql-backup-password", "kline-analytics-postgresql-restore-password"]) {
            const res = one(generated, "random:index/randomPassword:RandomPassword", name);
            assert.deepEqual([res.inputs.length, res.inputs.special], [32, false]);
        }
        assert.deepEqual(passwords(configured), ["kline-analytics-postgresql-password"]);
    });

    it("the database's Secret and the jobs' Secret hold them only as secrets; no value is rendered", () => {
        for (const r of [generated, configured]) {
            const db = object(r, "Secret", "kline-analytics-db").stringData;
            const jobs = object(r, "Secret", "kline-analytics-backup-db").stringData;
            assert.deepEqual([db["backup-password"], db["restore-password"]], ["[secret]", "[secret]"]);
            assert.deepEqual([jobs["backup-password"], jobs["restore-password"]], ["[secret]", "[secret]"]);
            const text = JSON.stringify(r);
            assert.ok(!text.includes(WAS_SET), "a configured role password was rendered");
            for (const res of resources(r, "random:index/randomPassword:RandomPassword")) {
                const value = computeState(res.type, res.name, res.inputs, "us-west-2").state.result;
                assert.ok(value.length >= 24 && !text.includes(value), `${res.name}: generated password rendered`);
            }
        }
        assert.ok(!generated.warnings.some((w) => /backupDbPassword|restoreDbPassword/.test(w)), generated.warnings.join("\n"));
    });

    it("the server runs scripts/db-roles.sql after every start, passwords from the Secret's env only", () => {
        const c = server(generated);
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
        for (const [name, key] of [
            ["BACKUP_DB_PASSWORD", "backup-password"],
            ["RESTORE_DB_PASSWORD", "restore-password"],
        ]) {
            assert.deepEqual(env[name], { name, valueFrom: { secretKeyRef: { name: "kline-analytics-db", key } } });
        }
        const [shell, flag, script] = c.lifecycle.postStart.exec.command;
        assert.deepEqual([shell, flag], ["bash", "-c"]);
        assert.ok(script.includes(fs.readFileSync(DB_ROLES_SQL_PATH, "utf8").trimEnd()), "the hook runs the SQL of scripts/db-roles.sql");
        assert.match(script, /-v backup_user=kline_backup -v restore_user=kline_restore -v app_user="\$POSTGRES_USER"/);
        // Waits for the real server (TCP), not the entrypoint's socket-only first-init server.
        assert.match(script, /until pg_isready -q -h 127\.0\.0\.1 -p 5432 /);
        const psqlLine = script.split("\n").find((l: string) => l.startsWith("psql "));
        assert.ok(psqlLine && !/password/i.test(psqlLine), `no password on psql's command line: ${psqlLine}`);
        // The backup CronJob logs in as the role with the password from the jobs' Secret.
        const cron = object(generated, "CronJob", "kline-analytics-backup").spec.jobTemplate.spec.template.spec.containers[0];
        const pg = Object.fromEntries(cron.env.map((e: any) => [e.name, e]));
        assert.deepEqual(pg.PGUSER.value, "kline_backup");
        assert.deepEqual(pg.PGPASSWORD.valueFrom.secretKeyRef, { name: "kline-analytics-backup-db", key: "backup-password" });
    });

    it("a stack without the in-cluster database has no role hook", async () => {
        const r = await renderStack("staging");
        assert.equal(objects(r, "StatefulSet").filter((x) => x.metadata.name === "kline-analytics-postgresql").length, 0);
        assert.deepEqual(passwords(r), []);
    });
});

describe("backups: the bucket's upload rules follow its encryption", () => {
    const bucketArn = "arn:aws:s3:::kline-analytics-staging-backups-1a2b3c4d";
    const conditions = (key?: string) => encryptionStatements(bucketArn, key).map((s) => [s.Sid, s.Condition]);

    it("with SSE-S3 (backupEncryption=s3): AES256 or no header; never customer-provided keys", () => {
        assert.deepEqual(conditions(), [
            ["DenyOtherEncryption", { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "AES256" } }],
            ["DenyCustomerProvidedKeys", { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } }],
        ]);
    });

    it("every statement denies PutObject on the bucket's objects to everyone", () => {
        const key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        for (const s of [...encryptionStatements(bucketArn, key), ...encryptionStatements(bucketArn, undefined)]) {
            assert.deepEqual([s.Effect, s.Principal, s.Action, s.Resource], ["Deny", "*", "s3:PutObject", `${bucketArn}/*`], String(s.Sid));
        }
        assert.equal(
            JSON.stringify(encryptionStatements(bucketArn, key)).split(key).length - 1,
            1,
            "the key is named once, as the only one allowed",
        );
    });
});
