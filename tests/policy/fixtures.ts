// Small good resources for the policy tests: each one passes every rule, and a test breaks one
// field to prove the matching rule catches it. Shaped like resources.json records / engine props.
import { PolicyResource } from "../../policy/rules/types";

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

const APP_LABELS = { "app.kubernetes.io/name": "kline-analytics", "app.kubernetes.io/instance": "kline-analytics", track: "stable" };

export function appContainer(): any {
    return {
        name: "app",
        image: "ghcr.io/kline/kline-analytics:1.4.2",
        ports: [
            { name: "http", containerPort: 8080 },
            { name: "management", containerPort: 8081 },
        ],
        resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "1000m", memory: "2Gi" } },
        livenessProbe: { httpGet: { path: "/actuator/health/liveness", port: "management" } },
        readinessProbe: { httpGet: { path: "/actuator/health/readiness", port: "management" } },
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
    };
}

export function podSpec(): any {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [appContainer()],
        volumes: [
            { name: "tmp", emptyDir: {} },
            { name: "config", configMap: { name: "kline-analytics-config" } },
        ],
    };
}

export function deployment(namespace = "kline-analytics-staging"): PolicyResource {
    return {
        type: "kubernetes:apps/v1:Deployment",
        name: "app-deployment",
        props: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "kline-analytics", namespace },
            spec: {
                replicas: 2,
                selector: { matchLabels: APP_LABELS },
                template: { metadata: { labels: APP_LABELS }, spec: podSpec() },
            },
        },
    };
}

export function cronJob(namespace = "kline-analytics-staging"): PolicyResource {
    const spec = podSpec();
    spec.restartPolicy = "OnFailure";
    const c = spec.containers[0];
    c.name = "backup";
    c.image = "postgres:16.4-alpine";
    delete c.livenessProbe; // jobs finish: probes are not required there
    delete c.readinessProbe;
    delete c.ports;
    return {
        type: "kubernetes:batch/v1:CronJob",
        name: "backup-cronjob",
        props: {
            metadata: { name: "kline-analytics-backup", namespace },
            spec: {
                schedule: "30 1 * * *",
                jobTemplate: {
                    spec: { template: { metadata: { labels: { "app.kubernetes.io/name": "kline-analytics-backup" } }, spec } },
                },
            },
        },
    };
}

export function networkPolicy(namespace = "kline-analytics-staging", podSelector: any = {}): PolicyResource {
    return {
        type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        name: "default-deny",
        props: { metadata: { name: "default-deny", namespace }, spec: { podSelector, policyTypes: ["Ingress", "Egress"] } },
    };
}

export function namespace(name = "kline-analytics-staging"): PolicyResource {
    return { type: "kubernetes:core/v1:Namespace", name: `${name}-namespace`, props: { metadata: { name } } };
}

/** The app's own flows, every rule naming its peers: ingress from the ingress controller, egress to PostgreSQL. */
export function allowPolicy(namespace = "kline-analytics-staging"): PolicyResource {
    return {
        type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        name: "app-flows",
        props: {
            metadata: { name: "kline-analytics", namespace },
            spec: {
                podSelector: { matchLabels: APP_LABELS },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    {
                        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
                        ports: [{ protocol: "TCP", port: 8080 }],
                    },
                ],
                egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] }],
            },
        },
    };
}

export const BUCKET_NAME = "kline-analytics-staging-backups-1a2b3c";

/** A backup bucket and every companion the S3 rules require, referring to it by name. */
export function bucketSet(name = BUCKET_NAME): PolicyResource[] {
    const arn = `arn:aws:s3:::${name}`;
    return [
        { type: "aws:s3/bucket:Bucket", name: "backups-bucket", props: { bucket: name, forceDestroy: false } },
        {
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            name: "backups-public-access-block",
            props: { bucket: name, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        },
        {
            type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            name: "backups-encryption",
            props: { bucket: name, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] },
        },
        {
            type: "aws:s3/bucketVersioning:BucketVersioning",
            name: "backups-versioning",
            props: { bucket: name, versioningConfiguration: { status: "Enabled" } },
        },
        {
            type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            name: "backups-lifecycle",
            props: {
                bucket: name,
                rules: [
                    {
                        id: "expire-backups",
                        status: "Enabled",
                        filter: { prefix: "" },
                        expiration: { days: 14 },
                        noncurrentVersionExpiration: { noncurrentDays: 7 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
        },
        {
            type: "aws:s3/bucketPolicy:BucketPolicy",
            name: "backups-policy",
            props: {
                bucket: name,
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "DenyInsecureTransport",
                            Effect: "Deny",
                            Principal: "*",
                            Action: "s3:*",
                            Resource: [arn, `${arn}/*`],
                            Condition: { Bool: { "aws:SecureTransport": "false" } },
                        },
                    ],
                }),
            },
        },
    ];
}

/** A small stack that passes the whole baseline. */
export function goodStack(): PolicyResource[] {
    return [deployment(), cronJob(), networkPolicy(), allowPolicy(), namespace(), ...bucketSet()];
}
