// S3 bucket baseline: each bucket must be accompanied by the resources that lock it down. These
// are stack rules because the settings live in separate resources (aws.s3.BucketVersioning, ...)
// that point at the bucket through their `bucket` property.
import { PolicyResource, StackRule, StackViolation } from "./types";

const BUCKET_TYPES = new Set(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);
// Both the current token and the deprecated ...V2 one.
const withV2 = (token: string) => [
    `aws:s3/${token[0].toLowerCase()}${token.slice(1)}:${token}`,
    `aws:s3/${token[0].toLowerCase()}${token.slice(1)}V2:${token}V2`,
];
const PUBLIC_ACCESS_BLOCK = ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"];
const ENCRYPTION = withV2("BucketServerSideEncryptionConfiguration");
const VERSIONING = withV2("BucketVersioning");
const LIFECYCLE = withV2("BucketLifecycleConfiguration");
const BUCKET_POLICY = ["aws:s3/bucketPolicy:BucketPolicy"];
const SSE_ALGORITHMS = new Set(["aws:kms", "aws:kms:dsse", "AES256"]);

function isBucket(r: PolicyResource): boolean {
    return BUCKET_TYPES.has(r.type);
}

/** Names and ARNs by which other resources refer to a bucket. */
export function bucketIdentifiers(bucket: PolicyResource): string[] {
    const ids = new Set<string>(bucket.ids ?? []);
    if (typeof bucket.props.bucket === "string") ids.add(bucket.props.bucket);
    for (const id of [...ids]) if (!id.startsWith("arn:")) ids.add(`arn:aws:s3:::${id}`);
    return [...ids];
}

/** Does `r` configure `bucket`? By engine property dependency, else by the value of its `bucket`. */
export function configuresBucket(r: PolicyResource, bucket: PolicyResource): boolean {
    const deps = r.propertyDependencies?.bucket;
    if (deps && bucket.urn && deps.includes(bucket.urn)) return true;
    const value = r.props.bucket;
    return typeof value === "string" && bucketIdentifiers(bucket).includes(value);
}

/** The bucket's logical name, plus its S3 name when known (during a preview it may not be). */
function bucketLabel(bucket: PolicyResource): string {
    let s3Name: unknown;
    try {
        s3Name = bucket.props.bucket;
    } catch {
        // The engine's props proxy throws for values unknown until the update: leave it out.
    }
    return `bucket ${bucket.name}${typeof s3Name === "string" ? ` (${s3Name})` : ""}`;
}

/** `aws:s3/bucketPolicy:BucketPolicy` -> `aws.s3.BucketPolicy`, as the SDK spells the resource. */
function sdkName(type: string): string {
    return type.replace(/^(\w+):(\w+)\/\w+:(\w+)$/, "$1.$2.$3");
}

/**
 * A stack rule over every bucket: `companions` are the resources of `types` that configure it
 * (the first type names what is missing when there are none); `check` returns the problems (or
 * an empty list) given those.
 */
function bucketRule(
    name: string,
    description: string,
    types: string[],
    check: (companions: PolicyResource[], bucket: PolicyResource) => string[],
): StackRule {
    return {
        kind: "stack",
        name,
        description,
        validate(resources) {
            const out: StackViolation[] = [];
            for (const bucket of resources.filter(isBucket)) {
                const companions = resources.filter((r) => types.includes(r.type) && configuresBucket(r, bucket));
                const problems = companions.length === 0 ? [`no ${sdkName(types[0])}`] : check(companions, bucket);
                for (const message of problems) out.push({ resource: bucket, message: `${bucketLabel(bucket)}: ${message}` });
            }
            return out;
        },
    };
}

export const s3PublicAccessBlock = bucketRule(
    "s3-public-access-block",
    "Every S3 bucket has a public access block with all four settings on.",
    PUBLIC_ACCESS_BLOCK,
    (companions) => {
        const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
        const full = companions.some((c) => flags.every((f) => c.props[f] === true));
        if (full) return [];
        const off = flags.filter((f) => !companions.some((c) => c.props[f] === true));
        return [`BucketPublicAccessBlock must set ${off.join(", ")} to true`];
    },
);

export const s3Encryption = bucketRule(
    "s3-encryption",
    "Every S3 bucket has default server-side encryption (aws:kms, aws:kms:dsse or AES256).",
    ENCRYPTION,
    (companions) => {
        const ok = companions.some((c) =>
            (c.props.rules ?? []).some((rule: any) => SSE_ALGORITHMS.has(rule?.applyServerSideEncryptionByDefault?.sseAlgorithm)),
        );
        return ok
            ? []
            : [
                  `server-side encryption must set applyServerSideEncryptionByDefault.sseAlgorithm to one of ${[...SSE_ALGORITHMS].join(", ")}`,
              ];
    },
);

export const s3Versioning = bucketRule("s3-versioning", "Every S3 bucket has versioning enabled.", VERSIONING, (companions) =>
    companions.some((c) => c.props.versioningConfiguration?.status === "Enabled") ? [] : ["versioningConfiguration.status must be Enabled"],
);

export const s3Lifecycle = bucketRule(
    "s3-lifecycle",
    "Every S3 bucket has enabled lifecycle rules that expire objects, expire noncurrent versions and abort incomplete multipart uploads.",
    LIFECYCLE,
    (companions) => {
        const rules = companions.flatMap((c) => c.props.rules ?? []).filter((r: any) => r?.status === "Enabled");
        const positive = (n: unknown) => typeof n === "number" && n > 0;
        const missing: string[] = [];
        if (!rules.some((r: any) => positive(r.expiration?.days) || typeof r.expiration?.date === "string"))
            missing.push("expiration (days)");
        if (!rules.some((r: any) => positive(r.noncurrentVersionExpiration?.noncurrentDays)))
            missing.push("noncurrentVersionExpiration (noncurrentDays)");
        if (!rules.some((r: any) => positive(r.abortIncompleteMultipartUpload?.daysAfterInitiation))) {
            missing.push("abortIncompleteMultipartUpload (daysAfterInitiation)");
        }
        return missing.length ? [`no enabled lifecycle rule with ${missing.join(", ")}`] : [];
    },
);

function asList<T>(v: T | T[] | undefined): T[] {
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Is this statement "deny every S3 action to everyone on the bucket and its objects unless TLS"? */
export function isTlsOnlyStatement(statement: any, bucketArns: string[]): boolean {
    if (statement?.Effect !== "Deny") return false;
    const principal = statement.Principal;
    const everyone = principal === "*" || asList(principal?.AWS).includes("*");
    if (!everyone) return false;
    const actions = asList<string>(statement.Action);
    if (!actions.includes("s3:*") && !actions.includes("*")) return false;
    const secure = statement.Condition?.Bool?.["aws:SecureTransport"];
    if (!asList(secure).some((v) => v === false || v === "false")) return false;
    const resources = asList<string>(statement.Resource);
    return bucketArns.some((arn) => resources.includes(arn) && resources.includes(`${arn}/*`));
}

export const s3TlsOnly = bucketRule(
    "s3-tls-only",
    "Every S3 bucket has a bucket policy that denies any request not made over TLS (aws:SecureTransport = false), for the bucket and its objects.",
    BUCKET_POLICY,
    (companions, bucket) => {
        const arns = bucketIdentifiers(bucket).filter((id) => id.startsWith("arn:"));
        for (const c of companions) {
            let doc = c.props.policy;
            if (typeof doc === "string") {
                try {
                    doc = JSON.parse(doc);
                } catch {
                    return ["the bucket policy is not valid JSON"];
                }
            }
            if (asList(doc?.Statement).some((s) => isTlsOnlyStatement(s, arns))) return [];
        }
        return [
            "the bucket policy has no statement denying s3:* to Principal * when aws:SecureTransport is false, on both the bucket ARN and its objects (ARN/*)",
        ];
    },
);
