// The baseline rules (policy/rules) on good and bad resources, one rule at a time. The rules are
// plain functions: no PolicyPack is constructed here (that would start a gRPC server).
import { strict as assert } from "assert";
import { BASELINE, checkResources, formatViolation } from "../../policy/rules/baseline";
import { containerProbes, containerResources, imagePinned, imageReference, parseQuantity } from "../../policy/rules/containers";
import {
    isDefaultDeny,
    namespaceDefaultDeny,
    namespaceNetworkPolicy,
    namespaceNetworkPolicyRule,
    networkPolicyPeers,
    selectorMatches,
} from "../../policy/rules/network-policy";
import { podSecurityRestricted, readOnlyRootFilesystem } from "../../policy/rules/pod-security";
import { s3Encryption, s3Lifecycle, s3PublicAccessBlock, s3TlsOnly, s3Versioning } from "../../policy/rules/s3";
import { PolicyResource, ResourceRule } from "../../policy/rules/types";
import { fromEngine } from "../../policy/engine";
import {
    BUCKET_NAME,
    allowPolicy,
    appContainer,
    bucketSet,
    clone,
    cronJob,
    deployment,
    goodStack,
    namespace,
    networkPolicy,
} from "./fixtures";

/** The deployment's first container / pod spec, for mutation. */
const pod = (r: PolicyResource) => r.props.spec.template.spec;
const app = (r: PolicyResource) => pod(r).containers[0];

function violationsOf(rule: ResourceRule, r: PolicyResource): string[] {
    return rule.validate(r);
}

describe("delivery: policy rules", () => {
    it("a compliant stack passes every rule of the baseline", () => {
        assert.deepEqual(checkResources(goodStack()).map(formatViolation), []);
    });

    it("the baseline has thirteen uniquely named rules", () => {
        const names = BASELINE.map((r) => r.name);
        assert.equal(new Set(names).size, names.length);
        assert.deepEqual(names, [
            "pod-security-restricted",
            "read-only-root-filesystem",
            "container-resources",
            "image-pinned",
            "container-probes",
            "namespace-network-policy",
            "namespace-default-deny",
            "network-policy-peers",
            "s3-public-access-block",
            "s3-encryption",
            "s3-versioning",
            "s3-lifecycle",
            "s3-tls-only",
        ]);
    });

    describe("pod-security-restricted", () => {
        it("accepts a restricted pod spec on every workload kind", () => {
            for (const type of ["apps/v1:StatefulSet", "apps/v1:DaemonSet", "batch/v1:Job"]) {
                const r = deployment();
                r.type = `kubernetes:${type}`;
                assert.deepEqual(violationsOf(podSecurityRestricted, r), [], type);
            }
            assert.deepEqual(violationsOf(podSecurityRestricted, cronJob()), []);
            const bare: PolicyResource = {
                type: "kubernetes:core/v1:Pod",
                name: "p",
                props: { metadata: { name: "p" }, spec: pod(deployment()) },
            };
            assert.deepEqual(violationsOf(podSecurityRestricted, bare), []);
        });

        it("ignores resources that have no pod template", () => {
            assert.deepEqual(violationsOf(podSecurityRestricted, networkPolicy()), []);
            assert.deepEqual(violationsOf(podSecurityRestricted, bucketSet()[0]), []);
        });

        const cases: [string, (r: PolicyResource) => void, RegExp][] = [
            [
                "privilege escalation allowed",
                (r) => (app(r).securityContext.allowPrivilegeEscalation = true),
                /container "app": securityContext.allowPrivilegeEscalation must be false/,
            ],
            [
                "allowPrivilegeEscalation unset",
                (r) => delete app(r).securityContext.allowPrivilegeEscalation,
                /allowPrivilegeEscalation must be false/,
            ],
            [
                "capabilities not dropped",
                (r) => (app(r).securityContext.capabilities = { drop: ["NET_RAW"] }),
                /capabilities.drop must include ALL/,
            ],
            [
                "capability added",
                (r) => (app(r).securityContext.capabilities.add = ["SYS_ADMIN"]),
                /capability SYS_ADMIN must not be added/,
            ],
            [
                "runAsNonRoot missing on pod and container",
                (r) => {
                    delete pod(r).securityContext.runAsNonRoot;
                    delete app(r).securityContext.runAsNonRoot;
                },
                /runAsNonRoot must be true/,
            ],
            ["container overrides runAsNonRoot", (r) => (app(r).securityContext.runAsNonRoot = false), /runAsNonRoot must be true/],
            ["pod runs as root", (r) => (pod(r).securityContext.runAsUser = 0), /runAsUser must not be 0/],
            [
                "seccomp missing",
                (r) => delete pod(r).securityContext.seccompProfile,
                /seccompProfile.type must be RuntimeDefault or Localhost/,
            ],
            [
                "seccomp unconfined",
                (r) => (pod(r).securityContext.seccompProfile.type = "Unconfined"),
                /seccompProfile.type Unconfined is not allowed/,
            ],
            ["privileged container", (r) => (app(r).securityContext.privileged = true), /privileged must not be true/],
            ["host network", (r) => (pod(r).hostNetwork = true), /hostNetwork must not be true/],
            ["host PID", (r) => (pod(r).hostPID = true), /hostPID must not be true/],
            [
                "hostPath volume",
                (r) => pod(r).volumes.push({ name: "logs", hostPath: { path: "/var/log" } }),
                /volume "logs" uses hostPath/,
            ],
            ["host port", (r) => (app(r).ports[0].hostPort = 8080), /hostPort 8080 must not be used/],
            [
                "unsafe sysctl",
                (r) => (pod(r).securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]),
                /sysctl kernel.msgmax is not in the safe set/,
            ],
            ["procMount unmasked", (r) => (app(r).securityContext.procMount = "Unmasked"), /procMount must be Default/],
            ["SELinux user", (r) => (app(r).securityContext.seLinuxOptions = { user: "system_u" }), /seLinuxOptions.user must not be set/],
            [
                "init container not hardened",
                (r) => (pod(r).initContainers = [{ ...appContainer(), name: "migrate", securityContext: {} }]),
                /init container "migrate": securityContext.allowPrivilegeEscalation must be false/,
            ],
        ];
        for (const [what, mutate, expected] of cases) {
            it(`rejects ${what}`, () => {
                const r = clone(deployment());
                mutate(r);
                const messages = violationsOf(podSecurityRestricted, r);
                assert.ok(
                    messages.some((m) => expected.test(m)),
                    `expected ${expected} in ${JSON.stringify(messages)}`,
                );
                assert.ok(messages.every((m) => m.startsWith("Deployment kline-analytics-staging/kline-analytics: ")));
            });
        }

        it("finds the pod template of a CronJob under jobTemplate", () => {
            const r = cronJob();
            r.props.spec.jobTemplate.spec.template.spec.securityContext = {};
            const messages = violationsOf(podSecurityRestricted, r);
            assert.ok(
                messages.some((m) =>
                    /CronJob kline-analytics-staging\/kline-analytics-backup: container "backup": seccompProfile.type must be RuntimeDefault/.test(
                        m,
                    ),
                ),
                messages.join("\n"),
            );
        });
    });

    describe("read-only-root-filesystem", () => {
        it("rejects a writable root filesystem and accepts a read-only one", () => {
            assert.deepEqual(violationsOf(readOnlyRootFilesystem, deployment()), []);
            const r = deployment();
            app(r).securityContext.readOnlyRootFilesystem = false;
            assert.deepEqual(violationsOf(readOnlyRootFilesystem, r), [
                'Deployment kline-analytics-staging/kline-analytics: container "app": securityContext.readOnlyRootFilesystem must be true',
            ]);
        });
    });

    describe("container-resources", () => {
        it("rejects missing requests and limits, naming each", () => {
            const r = deployment();
            delete app(r).resources.limits;
            delete app(r).resources.requests.cpu;
            assert.deepEqual(violationsOf(containerResources, r), [
                'Deployment kline-analytics-staging/kline-analytics: container "app": resources.requests.cpu is missing',
                'Deployment kline-analytics-staging/kline-analytics: container "app": resources.limits.cpu is missing',
                'Deployment kline-analytics-staging/kline-analytics: container "app": resources.limits.memory is missing',
            ]);
        });

        it("rejects a container without any resources block, init containers included", () => {
            const r = deployment();
            pod(r).initContainers = [{ ...appContainer(), name: "migrate", resources: undefined }];
            const messages = violationsOf(containerResources, r);
            assert.equal(messages.length, 4);
            assert.ok(messages.every((m) => m.includes('init container "migrate"')));
        });

        it("rejects a request above its limit and malformed quantities", () => {
            const r = deployment();
            app(r).resources.requests.memory = "3Gi";
            app(r).resources.limits.cpu = "two";
            assert.deepEqual(violationsOf(containerResources, r), [
                "Deployment kline-analytics-staging/kline-analytics: container \"app\": resources.limits.cpu 'two' is not a Kubernetes quantity",
                'Deployment kline-analytics-staging/kline-analytics: container "app": resources.requests.memory 3Gi exceeds the limit 2Gi',
            ]);
        });

        it("parses Kubernetes quantities", () => {
            assert.equal(parseQuantity("cpu", "250m"), 0.25);
            assert.equal(parseQuantity("cpu", "2"), 2);
            assert.equal(parseQuantity("memory", "512Mi"), 512 * 2 ** 20);
            assert.equal(parseQuantity("memory", "1G"), 1e9);
            assert.equal(parseQuantity("memory", "4Gb"), undefined);
        });
    });

    describe("image-pinned", () => {
        it("splits image references into tag and digest", () => {
            assert.deepEqual(imageReference("registry.local:5000/team/app:1.2.3"), { tag: "1.2.3", digest: undefined });
            assert.deepEqual(imageReference("registry.local:5000/team/app"), { tag: undefined, digest: undefined });
            assert.deepEqual(imageReference("app@sha256:abc"), { tag: undefined, digest: "sha256:abc" });
        });

        for (const [image, ok] of [
            ["ghcr.io/kline/kline-analytics:1.4.2", true],
            ["postgres@sha256:0123456789abcdef", true],
            ["ghcr.io/kline/kline-analytics:latest", false],
            ["ghcr.io/kline/kline-analytics", false],
            ["registry.local:5000/kline-analytics", false],
        ] as const) {
            it(`${ok ? "accepts" : "rejects"} ${image}`, () => {
                const r = deployment();
                app(r).image = image;
                const messages = violationsOf(imagePinned, r);
                if (ok) assert.deepEqual(messages, []);
                else {
                    assert.equal(messages.length, 1);
                    assert.match(messages[0], new RegExp(`image '${image.replace(/[.]/g, "\\.")}' (uses the 'latest' tag|has no tag)`));
                }
            });
        }

        it("rejects a container without an image", () => {
            const r = deployment();
            delete app(r).image;
            assert.deepEqual(violationsOf(imagePinned, r), [
                'Deployment kline-analytics-staging/kline-analytics: container "app": no image',
            ]);
        });
    });

    describe("container-probes", () => {
        it("requires liveness and readiness probes on long-running workloads", () => {
            const r = deployment();
            delete app(r).readinessProbe;
            assert.deepEqual(violationsOf(containerProbes, r), [
                'Deployment kline-analytics-staging/kline-analytics: container "app": readinessProbe is missing',
            ]);
            r.type = "kubernetes:apps/v1:StatefulSet";
            delete app(r).livenessProbe;
            assert.equal(violationsOf(containerProbes, r).length, 2);
        });

        it("does not require probes on Jobs and CronJobs, or on init containers", () => {
            assert.deepEqual(violationsOf(containerProbes, cronJob()), []);
            const job = deployment();
            job.type = "kubernetes:batch/v1:Job";
            delete app(job).livenessProbe;
            assert.deepEqual(violationsOf(containerProbes, job), []);
            const withInit = deployment();
            pod(withInit).initContainers = [{ name: "migrate", image: "flyway/flyway:10.17.0" }];
            assert.deepEqual(violationsOf(containerProbes, withInit), []);
        });
    });

    describe("namespace-network-policy", () => {
        it("matches label selectors like Kubernetes", () => {
            const labels = { app: "kline", track: "canary" };
            assert.ok(selectorMatches({}, labels));
            assert.ok(selectorMatches({ matchLabels: { app: "kline" } }, labels));
            assert.ok(!selectorMatches({ matchLabels: { app: "other" } }, labels));
            assert.ok(selectorMatches({ matchExpressions: [{ key: "track", operator: "In", values: ["stable", "canary"] }] }, labels));
            assert.ok(!selectorMatches({ matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }] }, labels));
            assert.ok(!selectorMatches({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, labels));
            assert.ok(selectorMatches({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, labels));
        });

        it("rejects a namespace with workloads but no NetworkPolicy", () => {
            const v = namespaceNetworkPolicy.validate([deployment("kline-analytics-staging"), networkPolicy("monitoring")]);
            assert.deepEqual(
                v.map((x) => x.message),
                ["Deployment kline-analytics-staging/kline-analytics: namespace kline-analytics-staging has no NetworkPolicy"],
            );
            assert.equal(v[0].resource.name, "app-deployment");
        });

        it("rejects a workload that no NetworkPolicy of its namespace selects", () => {
            const onlyOther = networkPolicy("kline-analytics-staging", { matchLabels: { "app.kubernetes.io/name": "postgres" } });
            const v = namespaceNetworkPolicy.validate([deployment(), onlyOther]);
            assert.equal(v.length, 1);
            assert.match(v[0].message, /no NetworkPolicy in kline-analytics-staging selects its pods/);
        });

        it("accepts workloads selected by a NetworkPolicy that matches their labels", () => {
            const selecting = networkPolicy("kline-analytics-staging", { matchLabels: { "app.kubernetes.io/name": "kline-analytics" } });
            assert.deepEqual(namespaceNetworkPolicy.validate([deployment(), selecting]), []);
        });
    });

    describe("network-policy-peers", () => {
        it("accepts rules that name their sources and destinations, and a default deny (no rules at all)", () => {
            assert.deepEqual(networkPolicyPeers.validate(allowPolicy()), []);
            assert.deepEqual(networkPolicyPeers.validate(networkPolicy()), []);
            assert.deepEqual(networkPolicyPeers.validate(deployment()), [], "only NetworkPolicies are judged");
        });

        const breakRule = (direction: "ingress" | "egress", edit: (rule: any) => void) => {
            const p = allowPolicy();
            edit(p.props.spec[direction][0]);
            return networkPolicyPeers.validate(p);
        };
        const cases: Array<[string, "ingress" | "egress", (rule: any) => void, RegExp]> = [
            [
                "an egress rule with ports but no `to`",
                "egress",
                (rule) => delete rule.to,
                /egress\[0\] has no to, so it admits every destination on TCP\/5432: name the destination/,
            ],
            ["an egress rule with ports and an empty `to`", "egress", (rule) => (rule.to = []), /egress\[0\] has no to.*TCP\/5432/],
            [
                "an ingress rule with ports but no `from`",
                "ingress",
                (rule) => delete rule.from,
                /ingress\[0\] has no from, so it admits every source on TCP\/8080: name the source/,
            ],
            [
                "an egress rule with neither peers nor ports",
                "egress",
                (rule) => (delete rule.to, delete rule.ports),
                /egress\[0\] has no to, so it admits every destination on every port/,
            ],
        ];
        for (const [what, direction, edit, message] of cases) {
            it(`rejects ${what}`, () => {
                const v = breakRule(direction, edit);
                assert.equal(v.length, 1, JSON.stringify(v));
                assert.match(v[0], /^NetworkPolicy kline-analytics-staging\/kline-analytics: /);
                assert.match(v[0], message);
            });
        }

        it("the baseline fails a stack whose policy has ports but no destination", () => {
            const stack = goodStack();
            const flows = stack.find((r) => r.name === "app-flows")!;
            flows.props.spec.egress.push({ ports: [{ protocol: "TCP", port: 443 }] });
            assert.deepEqual(
                checkResources(stack).map((v) => `${v.policy} ${v.resourceName}`),
                ["network-policy-peers app-flows"],
            );
        });
    });

    describe("namespace-default-deny", () => {
        it("accepts a namespace with a policy that selects every pod and denies both directions", () => {
            assert.deepEqual(namespaceDefaultDeny.validate([namespace(), networkPolicy()]), []);
            assert.ok(isDefaultDeny(networkPolicy()));
        });

        const notDenying: Array<[string, (spec: any) => void]> = [
            ["selects only some pods", (spec) => (spec.podSelector = { matchLabels: { app: "x" } })],
            ["selects by expression", (spec) => (spec.podSelector = { matchExpressions: [{ key: "app", operator: "Exists" }] })],
            ["denies ingress only", (spec) => (spec.policyTypes = ["Ingress"])],
            ["denies egress only", (spec) => (spec.policyTypes = ["Egress"])],
            ["has an allow rule", (spec) => (spec.egress = [{ to: [{ podSelector: {} }] }])],
        ];
        for (const [what, edit] of notDenying) {
            it(`rejects a namespace whose only candidate policy ${what}`, () => {
                const p = networkPolicy();
                edit(p.props.spec);
                const v = namespaceDefaultDeny.validate([namespace(), p]);
                assert.equal(v.length, 1);
                assert.equal(v[0].resource.name, "kline-analytics-staging-namespace");
                assert.match(
                    v[0].message,
                    /^namespace kline-analytics-staging has no default-deny NetworkPolicy: add one with podSelector \{\}/,
                );
            });
        }

        it("rejects a namespace whose default deny lives in another namespace, and one with no policy at all", () => {
            const v = namespaceDefaultDeny.validate([namespace("monitoring"), namespace("logging"), networkPolicy("logging")]);
            assert.deepEqual(
                v.map((x) => x.resource.name),
                ["monitoring-namespace"],
            );
        });
    });

    describe("namespace-network-policy across stacks (canary runs in production's namespace)", () => {
        const canaryDeployment = () => {
            const d = deployment("kline-analytics-production");
            d.props.spec.template.metadata.labels.track = "canary";
            return d;
        };
        const namespace = (name: string): PolicyResource => ({
            type: "kubernetes:core/v1:Namespace",
            name: "ns",
            props: { metadata: { name } },
        });

        it("the pack trusts the owning stack for the shared production namespace", () => {
            assert.deepEqual(namespaceNetworkPolicy.validate([canaryDeployment()]), []);
        });

        it("but not for any other namespace the stack does not own", () => {
            const elsewhere = deployment("default");
            assert.equal(namespaceNetworkPolicy.validate([elsewhere]).length, 1);
        });

        it("nor when the stack creates the shared namespace itself (production must bring its policies)", () => {
            const v = namespaceNetworkPolicy.validate([namespace("kline-analytics-production"), canaryDeployment()]);
            assert.deepEqual(
                v.map((x) => x.message),
                ["Deployment kline-analytics-production/kline-analytics: namespace kline-analytics-production has no NetworkPolicy"],
            );
        });

        it("across rendered stacks, the owner's policies must really select the canary pods", () => {
            const productionPolicies = (podSelector: any) => [
                namespace("kline-analytics-production"),
                networkPolicy("kline-analytics-production", podSelector),
            ];
            const covering = namespaceNetworkPolicyRule({
                sharedNamespaces: ["kline-analytics-production"],
                otherStacks: productionPolicies({ matchLabels: { "app.kubernetes.io/name": "kline-analytics" } }),
            });
            assert.deepEqual(covering.validate([canaryDeployment()]), []);
            const stableOnly = namespaceNetworkPolicyRule({
                sharedNamespaces: ["kline-analytics-production"],
                otherStacks: productionPolicies({ matchLabels: { track: "stable" } }),
            });
            const v = stableOnly.validate([canaryDeployment()]);
            assert.equal(v.length, 1);
            assert.match(v[0].message, /no NetworkPolicy in kline-analytics-production selects its pods .*belong to another stack/);
            const none = namespaceNetworkPolicyRule({ sharedNamespaces: ["kline-analytics-production"], otherStacks: [] });
            assert.match(
                none.validate([canaryDeployment()])[0].message,
                /namespace kline-analytics-production has no NetworkPolicy \(the namespace and its NetworkPolicies belong to another stack\)/,
            );
        });
    });

    describe("S3 bucket rules", () => {
        const without = (type: string) => bucketSet().filter((r) => r.type !== type);
        const withProps = (type: string, change: (props: any) => void) =>
            bucketSet().map((r) => {
                if (r.type !== type) return r;
                const copy = clone(r);
                change(copy.props);
                return copy;
            });
        const messages = (rule: { validate(rs: PolicyResource[]): { message: string }[] }, rs: PolicyResource[]) =>
            rule.validate(rs).map((v) => v.message);
        const label = `bucket backups-bucket (${BUCKET_NAME})`;

        it("all five pass on a fully configured bucket", () => {
            for (const rule of [s3PublicAccessBlock, s3Encryption, s3Versioning, s3Lifecycle, s3TlsOnly])
                assert.deepEqual(rule.validate(bucketSet()), [], rule.name);
        });

        it("s3-public-access-block: missing, or a flag off", () => {
            assert.deepEqual(messages(s3PublicAccessBlock, without("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")), [
                `${label}: no aws.s3.BucketPublicAccessBlock`,
            ]);
            const partial = withProps("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", (p) => (p.restrictPublicBuckets = false));
            assert.deepEqual(messages(s3PublicAccessBlock, partial), [
                `${label}: BucketPublicAccessBlock must set restrictPublicBuckets to true`,
            ]);
        });

        it("s3-public-access-block: a block for another bucket does not count", () => {
            const other = withProps("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", (p) => (p.bucket = "someone-elses-bucket"));
            assert.deepEqual(messages(s3PublicAccessBlock, other), [`${label}: no aws.s3.BucketPublicAccessBlock`]);
        });

        it("s3-encryption: missing, or no algorithm", () => {
            const type = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
            assert.deepEqual(messages(s3Encryption, without(type)), [`${label}: no aws.s3.BucketServerSideEncryptionConfiguration`]);
            assert.match(
                messages(
                    s3Encryption,
                    withProps(type, (p) => (p.rules = [{ bucketKeyEnabled: true }])),
                )[0],
                /sseAlgorithm to one of aws:kms/,
            );
        });

        it("s3-versioning: missing, or suspended", () => {
            const type = "aws:s3/bucketVersioning:BucketVersioning";
            assert.deepEqual(messages(s3Versioning, without(type)), [`${label}: no aws.s3.BucketVersioning`]);
            assert.deepEqual(
                messages(
                    s3Versioning,
                    withProps(type, (p) => (p.versioningConfiguration.status = "Suspended")),
                ),
                [`${label}: versioningConfiguration.status must be Enabled`],
            );
        });

        it("s3-versioning: accepts the deprecated BucketVersioningV2 token too", () => {
            const v2 = bucketSet().map((r) =>
                r.type === "aws:s3/bucketVersioning:BucketVersioning" ? { ...r, type: "aws:s3/bucketVersioningV2:BucketVersioningV2" } : r,
            );
            assert.deepEqual(s3Versioning.validate(v2), []);
        });

        it("s3-lifecycle: missing, disabled, or without noncurrent/multipart expiry", () => {
            const type = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
            assert.deepEqual(messages(s3Lifecycle, without(type)), [`${label}: no aws.s3.BucketLifecycleConfiguration`]);
            assert.match(
                messages(
                    s3Lifecycle,
                    withProps(type, (p) => (p.rules[0].status = "Disabled")),
                )[0],
                /no enabled lifecycle rule with expiration/,
            );
            const partial = withProps(type, (p) => {
                delete p.rules[0].noncurrentVersionExpiration;
                delete p.rules[0].abortIncompleteMultipartUpload;
            });
            assert.deepEqual(messages(s3Lifecycle, partial), [
                `${label}: no enabled lifecycle rule with noncurrentVersionExpiration (noncurrentDays), abortIncompleteMultipartUpload (daysAfterInitiation)`,
            ]);
        });

        it("s3-tls-only: missing, allowing instead of denying, wrong condition, or only the objects", () => {
            const type = "aws:s3/bucketPolicy:BucketPolicy";
            assert.deepEqual(messages(s3TlsOnly, without(type)), [`${label}: no aws.s3.BucketPolicy`]);
            const edit = (change: (statement: any) => void) =>
                withProps(type, (p) => {
                    const doc = JSON.parse(p.policy);
                    change(doc.Statement[0]);
                    p.policy = JSON.stringify(doc);
                });
            for (const broken of [
                edit((s) => (s.Effect = "Allow")),
                edit((s) => (s.Condition = { Bool: { "aws:SecureTransport": "true" } })),
                edit((s) => (s.Resource = [`arn:aws:s3:::${BUCKET_NAME}/*`])),
                edit((s) => (s.Principal = { AWS: "arn:aws:iam::123456789012:root" })),
                withProps(type, (p) => (p.policy = "{not json")),
            ]) {
                assert.equal(s3TlsOnly.validate(broken).length, 1);
            }
        });

        it("s3-tls-only: accepts a policy object, Principal {AWS: '*'} and a boolean condition", () => {
            const type = "aws:s3/bucketPolicy:BucketPolicy";
            const arn = `arn:aws:s3:::${BUCKET_NAME}`;
            const rs = withProps(type, (p) => {
                p.policy = {
                    Statement: [
                        {
                            Effect: "Deny",
                            Principal: { AWS: ["*"] },
                            Action: ["s3:*"],
                            Resource: [arn, `${arn}/*`],
                            Condition: { Bool: { "aws:SecureTransport": false } },
                        },
                    ],
                };
            });
            assert.deepEqual(s3TlsOnly.validate(rs), []);
        });

        it("relates companions through the engine's property dependencies when values are unknown", () => {
            // During a preview of a new stack the bucket name is not known yet: only the URNs are.
            const urn = (n: string) => `urn:pulumi:staging::kline-analytics::aws:s3/bucket:Bucket::${n}`;
            const set = bucketSet().map((r) => {
                const copy = clone(r);
                copy.urn = urn(r.name);
                if (r.type === "aws:s3/bucket:Bucket") delete copy.props.bucket;
                else {
                    copy.props.bucket = undefined;
                    copy.propertyDependencies = { bucket: [urn("backups-bucket")] };
                }
                return copy;
            });
            assert.deepEqual(s3Versioning.validate(set), []);
            set.find((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning")!.propertyDependencies = {
                bucket: [urn("another-bucket")],
            };
            assert.deepEqual(
                s3Versioning.validate(set).map((v) => v.message),
                ["bucket backups-bucket: no aws.s3.BucketVersioning"],
            );
        });
    });

    describe("engine adapter", () => {
        it("passes props through, maps property dependencies to URNs, and skips unknown ids", () => {
            const props = new Proxy(
                { bucket: "b-1" },
                {
                    get(target: any, key) {
                        if (key === "arn") throw new Error("unknown during preview");
                        return target[key];
                    },
                },
            );
            const r = fromEngine({
                type: "aws:s3/bucket:Bucket",
                name: "b",
                urn: "urn:b",
                props,
                propertyDependencies: { bucket: [{ urn: "urn:x" }] },
            });
            assert.equal(r.props, props);
            assert.deepEqual(r.ids, ["b-1"]);
            assert.deepEqual(r.propertyDependencies, { bucket: ["urn:x"] });
        });
    });
});
