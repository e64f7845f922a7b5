// LoggingStack under Pulumi mocks, for every stack file: what each logging resource is created
// with (inputs and the dependsOn the engine would see), via the harness's renderStack.
import * as assert from "assert";
import { ES_NAME, HEALTH_TIMEOUT_SECONDS, KIBANA_NAME } from "../../components/logging";
import { containerLogGlob } from "../../components/logging/filebeat";
import { restrictedViolations } from "../lib/pss";
import { STACKS, objects, renderStack, resources, RenderResult, ResourceRecord } from "../harness";

const EXPECTED = {
    development: {
        nodes: 1,
        storage: "10Gi",
        memory: "2Gi",
        cpu: "500m",
        heap: "1g",
        kibana: 1,
        zones: false,
        replicas: 0,
        streams: { development: "30d" },
    },
    staging: {
        nodes: 2,
        storage: "50Gi",
        memory: "4Gi",
        cpu: "1",
        heap: "2g",
        kibana: 1,
        zones: false,
        replicas: 1,
        streams: { staging: "60d" },
    },
    production: {
        nodes: 3,
        storage: "200Gi",
        memory: "8Gi",
        cpu: "2",
        heap: "4g",
        kibana: 2,
        zones: true,
        replicas: 1,
        streams: { production: "90d", canary: "30d" },
    },
} as const;

const ECK_KINDS = ["Elasticsearch", "Kibana", "Beat"];

function one(r: RenderResult, kind: string, namespace?: string): any {
    const found = r.manifests.filter((m) => m.kind === kind && (namespace === undefined || m.metadata?.namespace === namespace));
    assert.strictEqual(found.length, 1, `${r.stack}: expected one ${kind}${namespace ? ` in ${namespace}` : ""}, found ${found.length}`);
    return found[0];
}

function record(r: RenderResult, type: string, name: string): ResourceRecord {
    const found = resources(r, type).filter((x) => x.name === name);
    assert.strictEqual(found.length, 1, `${r.stack}: expected one ${type} named ${name}`);
    return found[0];
}

const bytes = (q: string) => {
    const m = /^(\d+)(Mi|Gi|m|g)$/.exec(q)!;
    return Number(m[1]) * (m[2].toLowerCase().startsWith("g") ? 1024 : 1);
};

for (const stack of ["development", "staging", "production"] as const) {
    const want = EXPECTED[stack];
    /** apiServerCidrs of the committed stack file. */
    const apiServerCidr = { development: "10.10.0.0/16", staging: "10.20.0.0/16", production: "10.30.0.0/16" }[stack];
    const appNs = `kline-analytics-${stack}`;

    describe(`logging in stack ${stack}`, () => {
        let r: RenderResult;
        before(async () => {
            r = await renderStack(stack);
        });

        it("installs the eck-operator chart 3.5.0 from helm.elastic.co into elastic-system, watching only the logging namespaces", () => {
            const rel = record(r, "kubernetes:helm.sh/v3:Release", "logging-eck-operator");
            assert.strictEqual(rel.inputs.chart, "eck-operator");
            assert.strictEqual(rel.inputs.version, "3.5.0");
            assert.deepStrictEqual(rel.inputs.repositoryOpts, { repo: "https://helm.elastic.co" });
            assert.strictEqual(rel.inputs.namespace, "elastic-system");
            assert.deepStrictEqual(rel.inputs.values.managedNamespaces, ["logging", "logging-shipper"]);
            assert.strictEqual(rel.inputs.values.installCRDs, false);
            assert.strictEqual(rel.inputs.values.podSecurityContext.seccompProfile.type, "RuntimeDefault");
            assert.deepStrictEqual(rel.inputs.values.securityContext.capabilities, { drop: ["ALL"] });
            // Besides its CRDs (tests/shared/crds.test.ts): the namespaces first, and elastic-system's
            // NetworkPolicies: the operator starts inside its default deny with its allows in place.
            assert.deepStrictEqual(
                rel.options.dependsOn?.filter((d) => !d.startsWith("logging-crds-")),
                [
                    "logging-namespace",
                    "logging-netpol-elastic-system-allow-dns-egress",
                    "logging-netpol-elastic-system-default-deny-all",
                    "logging-netpol-elastic-system-eck-operator",
                    "logging-operator-namespace",
                    "logging-shipper-namespace",
                ],
            );
        });

        it("labels elastic-system and logging restricted, and the shipper's namespace exactly privileged", () => {
            const ns = (name: string) => objects(r, "Namespace").find((n) => n.metadata.name === name)!.metadata.labels;
            assert.strictEqual(ns("elastic-system")["pod-security.kubernetes.io/enforce"], "restricted");
            assert.strictEqual(ns("logging")["pod-security.kubernetes.io/enforce"], "restricted");
            const shipper = ns("logging-shipper");
            assert.strictEqual(shipper["pod-security.kubernetes.io/enforce"], "privileged");
            assert.strictEqual(shipper["pod-security.kubernetes.io/warn"], "baseline");
            assert.strictEqual(shipper["pod-security.kubernetes.io/audit"], "baseline");
        });

        it(`Elasticsearch: ${want.nodes} node(s), ${want.storage} elasticsearch-data each, memory limit = request = ${want.memory}, heap ${want.heap}`, () => {
            const es = one(r, "Elasticsearch", "logging");
            assert.strictEqual(es.metadata.name, ES_NAME);
            assert.match(es.spec.version, /^\d+\.\d+\.\d+$/);
            assert.strictEqual(es.spec.nodeSets.length, 1);
            const set = es.spec.nodeSets[0];
            assert.strictEqual(set.count, want.nodes);
            assert.deepStrictEqual(
                set.volumeClaimTemplates.map((v: any) => [v.metadata.name, v.spec.resources.requests.storage]),
                [["elasticsearch-data", want.storage]],
            );
            const c = set.podTemplate.spec.containers.find((x: any) => x.name === "elasticsearch");
            assert.deepStrictEqual(c.resources.limits, c.resources.requests);
            assert.deepStrictEqual(c.resources.limits, { memory: want.memory, cpu: want.cpu });
            const javaOpts = c.env.find((e: any) => e.name === "ES_JAVA_OPTS").value;
            assert.strictEqual(javaOpts, `-Xms${want.heap} -Xmx${want.heap}`);
            assert.ok(bytes(want.heap) * 2 <= bytes(want.memory), "heap at most half the memory");
            assert.strictEqual(set.config["node.store.allow_mmap"], false);
            assert.strictEqual(set.config["ingest.geoip.downloader.enabled"], false, "no call out of the cluster");
            assert.strictEqual(set.podTemplate.spec.securityContext.seccompProfile.type, "RuntimeDefault");
            assert.strictEqual(set.podTemplate.spec.securityContext.runAsNonRoot, true);
            assert.deepStrictEqual(
                record(r, "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "logging-elasticsearch").options.dependsOn,
                ["logging-eck-operator"],
            );
        });

        it(
            want.zones
                ? "Elasticsearch: zone awareness (downward zone label, node.attr.zone, spread over zones, one node per host)"
                : "Elasticsearch: no zone awareness",
            () => {
                const es = one(r, "Elasticsearch", "logging");
                const set = es.spec.nodeSets[0];
                const pod = set.podTemplate.spec;
                if (!want.zones) {
                    assert.strictEqual(es.metadata.annotations["eck.k8s.elastic.co/downward-node-labels"], undefined);
                    assert.strictEqual(set.config["node.attr.zone"], undefined);
                    assert.strictEqual(pod.topologySpreadConstraints, undefined);
                    return;
                }
                assert.strictEqual(es.metadata.annotations["eck.k8s.elastic.co/downward-node-labels"], "topology.kubernetes.io/zone");
                assert.strictEqual(set.config["node.attr.zone"], "${ZONE}");
                assert.strictEqual(set.config["cluster.routing.allocation.awareness.attributes"], "k8s_node_name,zone");
                const zoneEnv = pod.containers[0].env.find((e: any) => e.name === "ZONE");
                assert.strictEqual(zoneEnv.valueFrom.fieldRef.fieldPath, "metadata.annotations['topology.kubernetes.io/zone']");
                assert.deepStrictEqual(
                    pod.topologySpreadConstraints.map((t: any) => [
                        t.topologyKey,
                        t.maxSkew,
                        t.whenUnsatisfiable,
                        t.labelSelector.matchLabels["elasticsearch.k8s.elastic.co/cluster-name"],
                    ]),
                    [["topology.kubernetes.io/zone", 1, "DoNotSchedule", ES_NAME]],
                );
                const anti = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
                assert.strictEqual(anti[0].topologyKey, "kubernetes.io/hostname");
            },
        );

        it("Elasticsearch and Kibana are awaited until green, with a timeout; the installer Job waits for both", () => {
            for (const [kind, timeout] of [
                ["Elasticsearch", HEALTH_TIMEOUT_SECONDS.elasticsearch],
                ["Kibana", HEALTH_TIMEOUT_SECONDS.kibana],
            ] as const) {
                const annotations = one(r, kind, "logging").metadata.annotations;
                assert.strictEqual(annotations["pulumi.com/waitFor"], "jsonpath={.status.health}=green", kind);
                assert.strictEqual(annotations["pulumi.com/timeoutSeconds"], String(timeout), kind);
                assert.ok(timeout >= 600 && timeout <= 1800, `${kind}: ${timeout}s`);
            }
            const job = record(r, "kubernetes:batch/v1:Job", "logging-assets-installer");
            assert.deepStrictEqual([...(job.options.dependsOn ?? [])].sort(), [
                "logging-assets",
                "logging-elasticsearch",
                "logging-kibana",
            ]);
            // The Job no longer holds `pulumi up` for the cluster to come up: its script waits briefly.
            const spec = one(r, "Job", "logging").spec;
            const wait = Number(spec.template.spec.containers[0].env.find((e: any) => e.name === "WAIT_TIMEOUT_SECONDS").value);
            assert.ok(wait <= 300, `the installer waits ${wait}s`);
        });

        it(`Kibana: ${want.kibana} instance(s) on the same version, bound to the cluster`, () => {
            const es = one(r, "Elasticsearch", "logging");
            const kb = one(r, "Kibana", "logging");
            assert.strictEqual(kb.metadata.name, KIBANA_NAME);
            assert.strictEqual(kb.spec.count, want.kibana);
            assert.strictEqual(kb.spec.version, es.spec.version);
            assert.deepStrictEqual(kb.spec.elasticsearchRef, { name: ES_NAME });
            const c = kb.spec.podTemplate.spec.containers[0];
            assert.deepStrictEqual(c.resources.limits.memory, c.resources.requests.memory);
            assert.deepStrictEqual(record(r, "kubernetes:kibana.k8s.elastic.co/v1:Kibana", "logging-kibana").options.dependsOn, [
                "logging-eck-operator",
            ]);
        });

        it("Filebeat: reads only the app namespace's container logs, decodes JSON, adds Kubernetes metadata", () => {
            const es = one(r, "Elasticsearch", "logging");
            const beat = one(r, "Beat", "logging-shipper");
            assert.strictEqual(beat.spec.type, "filebeat");
            assert.strictEqual(beat.spec.version, es.spec.version);
            assert.deepStrictEqual(beat.spec.elasticsearchRef, { name: ES_NAME, namespace: "logging" });
            const cfg = beat.spec.config;
            const inputs = cfg["filebeat.inputs"];
            assert.strictEqual(inputs.length, 1);
            assert.deepStrictEqual(inputs[0].paths, [`/var/log/containers/*_${appNs}_*.log`]);
            assert.deepStrictEqual(inputs[0].paths, [containerLogGlob(appNs)]);
            const kube = cfg.processors.find((p: any) => p.add_kubernetes_metadata).add_kubernetes_metadata;
            assert.strictEqual(kube.namespace, appNs);
            assert.strictEqual(kube.host, "${NODE_NAME}");
            const json = cfg.processors.find((p: any) => p.decode_json_fields).decode_json_fields;
            assert.deepStrictEqual([json.fields, json.target, json.overwrite_keys], [["message"], "", true]);
            assert.strictEqual(cfg["setup.template.enabled"], false);
            assert.strictEqual(cfg["setup.ilm.enabled"], false);
            assert.strictEqual(cfg["output.elasticsearch"].index, `logs-kline.analytics-${stack}`);
            const routes = cfg["output.elasticsearch"].indices.map((i: any) => [i.index, i.when.equals["kubernetes.labels.track"]]);
            assert.deepStrictEqual(routes, stack === "production" ? [["logs-kline.analytics-canary", "canary"]] : []);
            assert.deepStrictEqual(record(r, "kubernetes:beat.k8s.elastic.co/v1beta1:Beat", "logging-filebeat").options.dependsOn, [
                "logging-eck-operator",
                "logging-filebeat-account",
            ]);
        });

        it("Filebeat pod: host log folders read-only, no capabilities, no escalation; nothing beyond hostPath", () => {
            const pod = one(r, "Beat", "logging-shipper").spec.daemonSet.podTemplate.spec;
            assert.deepStrictEqual(
                pod.volumes.map((v: any) => [v.name, v.hostPath.path]),
                [
                    ["varlogcontainers", "/var/log/containers"],
                    ["varlogpods", "/var/log/pods"],
                ],
            );
            const c = pod.containers[0];
            assert.ok(c.volumeMounts.every((m: any) => m.readOnly === true));
            assert.deepStrictEqual(c.securityContext.capabilities, { drop: ["ALL"] });
            assert.strictEqual(c.securityContext.allowPrivilegeEscalation, false);
            assert.strictEqual(c.securityContext.privileged, false);
            assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
            // What keeps it out of `restricted`: exactly the hostPath volumes and running as root.
            const violations = restrictedViolations(pod);
            assert.deepStrictEqual(
                violations.sort(),
                [
                    'Pod pod: container "filebeat": runAsNonRoot must be true (in the pod or container securityContext)',
                    'Pod pod: container "filebeat": securityContext.runAsUser must not be 0 (root)',
                    "Pod pod: securityContext.runAsUser must not be 0 (root)",
                    'Pod pod: volume "varlogcontainers" uses hostPath; allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret',
                    'Pod pod: volume "varlogpods" uses hostPath; allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret',
                ].sort(),
            );
        });

        it("Filebeat may only read pods and replicasets, and only in the app namespace", () => {
            const role = one(r, "Role", appNs);
            assert.deepStrictEqual(role.rules, [
                { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
            ]);
            const binding = one(r, "RoleBinding", appNs);
            assert.deepStrictEqual(binding.subjects, [{ kind: "ServiceAccount", name: "filebeat", namespace: "logging-shipper" }]);
            assert.strictEqual(binding.roleRef.name, role.metadata.name);
            assert.strictEqual(objects(r, "ClusterRole").length + objects(r, "ClusterRoleBinding").length, 0);
            const beatPod = one(r, "Beat", "logging-shipper").spec.daemonSet.podTemplate.spec;
            assert.strictEqual(beatPod.serviceAccountName, one(r, "ServiceAccount", "logging-shipper").metadata.name);
        });

        it(`installer: a restricted Job named after its content, after Elasticsearch and Kibana, installing ILM ${JSON.stringify(want.streams)}`, () => {
            const job = one(r, "Job", "logging");
            const cm = objects(r, "ConfigMap").find((c) => c.metadata.namespace === "logging")!;
            assert.match(job.metadata.name, /^logging-assets-[0-9a-f]{8}$/);
            assert.strictEqual(cm.metadata.name, job.metadata.name);
            assert.deepStrictEqual(restrictedViolations(job.spec.template.spec), []);
            const es = one(r, "Elasticsearch", "logging");
            assert.strictEqual(
                job.spec.template.spec.containers[0].image,
                `docker.elastic.co/elasticsearch/elasticsearch:${es.spec.version}`,
            );
            const deps = record(r, "kubernetes:batch/v1:Job", "logging-assets-installer").options.dependsOn!;
            for (const d of ["logging-assets", "logging-elasticsearch", "logging-kibana"])
                assert.ok(deps.includes(d), `Job must depend on ${d}: ${deps}`);
            const deleteAfter: Record<string, string> = {};
            for (const key of Object.keys(cm.data).filter((k) => k.startsWith("ilm-"))) {
                deleteAfter[key.slice(4, -5)] = JSON.parse(cm.data[key]).policy.phases.delete.min_age;
            }
            assert.deepStrictEqual(deleteAfter, want.streams);
            const template = JSON.parse(cm.data[`index-template-${stack}.json`]);
            assert.strictEqual(template.template.settings["index.number_of_replicas"], want.replicas);
            assert.match(cm.data["requests.txt"], /kibana POST \/api\/data_views\/data_view data-view.json/);
        });

        it("NetworkPolicies select the pods the operator creates for these exact resources", () => {
            const pol = (ns: string, name: string) =>
                objects(r, "NetworkPolicy").find((p) => p.metadata.namespace === ns && p.metadata.name === name)!;
            const es = one(r, "Elasticsearch", "logging");
            const kb = one(r, "Kibana", "logging");
            const beat = one(r, "Beat", "logging-shipper");
            const job = one(r, "Job", "logging");
            assert.deepStrictEqual(pol("logging", "elasticsearch").spec.podSelector.matchLabels, {
                "elasticsearch.k8s.elastic.co/cluster-name": es.metadata.name,
            });
            assert.deepStrictEqual(pol("logging", "kibana").spec.podSelector.matchLabels, {
                "kibana.k8s.elastic.co/name": kb.metadata.name,
            });
            assert.deepStrictEqual(pol("logging-shipper", "filebeat").spec.podSelector.matchLabels, {
                "beat.k8s.elastic.co/name": beat.metadata.name,
            });
            const installerSel = pol("logging", "logging-assets-installer").spec.podSelector.matchLabels;
            for (const [k, v] of Object.entries(installerSel)) assert.strictEqual(job.spec.template.metadata.labels[k], v);
            for (const ns of ["elastic-system", "logging", "logging-shipper"]) {
                assert.deepStrictEqual(pol(ns, "default-deny-all").spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, ns);
            }
            // Filebeat: Elasticsearch's HTTP port and the API server's address blocks, nothing else.
            assert.deepStrictEqual(pol("logging-shipper", "filebeat").spec.egress, [
                {
                    to: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "logging" } },
                            podSelector: { matchLabels: { "elasticsearch.k8s.elastic.co/cluster-name": es.metadata.name } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 9200 }],
                },
                { to: [{ ipBlock: { cidr: apiServerCidr } }], ports: [{ protocol: "TCP", port: 443 }] },
            ]);
            // The ECK operator: the API server, Elasticsearch's HTTP port; its webhook from the API server only.
            const operator = pol("elastic-system", "eck-operator").spec;
            const release = record(r, "kubernetes:helm.sh/v3:Release", "logging-eck-operator").inputs.name;
            assert.deepStrictEqual(operator.podSelector.matchLabels, { "app.kubernetes.io/instance": release });
            assert.deepStrictEqual(operator.ingress, [
                { from: [{ ipBlock: { cidr: apiServerCidr } }], ports: [{ protocol: "TCP", port: 9443 }] },
            ]);
            assert.deepStrictEqual(operator.egress, [
                { to: [{ ipBlock: { cidr: apiServerCidr } }], ports: [{ protocol: "TCP", port: 443 }] },
                {
                    to: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "logging" } },
                            podSelector: { matchLabels: { "elasticsearch.k8s.elastic.co/cluster-name": es.metadata.name } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 9200 }],
                },
            ]);
            const esIngress = pol("logging", "elasticsearch").spec.ingress[0];
            assert.deepStrictEqual(esIngress.ports, [{ protocol: "TCP", port: 9200 }]);
            assert.ok(
                esIngress.from.some(
                    (f: any) =>
                        f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "logging-shipper" &&
                        f.podSelector?.matchLabels["beat.k8s.elastic.co/name"] === "filebeat",
                ),
                "Filebeat may reach Elasticsearch",
            );
        });

        it("creates no Secret and passes no credential in the logging namespaces (the operator generates them)", () => {
            const ours = r.manifests.filter((m) => ["elastic-system", "logging", "logging-shipper"].includes(m.metadata?.namespace));
            assert.deepStrictEqual(
                ours.filter((m) => m.kind === "Secret"),
                [],
            );
            const text = JSON.stringify(ours);
            assert.ok(!/"(password|ELASTIC_PASSWORD)"\s*:\s*"[^"/]/.test(text), "no literal password value");
            const env = one(r, "Job", "logging").spec.template.spec.containers[0].env;
            assert.ok(env.every((e: any) => typeof e.value === "string" && !/elastic:/.test(e.value)));
        });

        it("exports where Kibana and Elasticsearch are, and the data streams", () => {
            assert.deepStrictEqual(r.outputs.logging, {
                kibana: "https://logging-kb-http.logging.svc:5601",
                elasticsearch: "https://logging-es-http.logging.svc:9200",
                dataStreams: Object.keys(want.streams).map((e) => `logs-kline.analytics-${e}`),
            });
        });
    });
}

describe("logging in stack canary", () => {
    it("installs nothing: production's stack ships and keeps the canary's logs (in their own stream)", async () => {
        const r = await renderStack("canary");
        assert.deepStrictEqual(resources(r, "kline:logging:LoggingStack"), []);
        assert.deepStrictEqual(
            r.manifests.filter(
                (m) => ECK_KINDS.includes(m.kind) || ["logging", "logging-shipper", "elastic-system"].includes(m.metadata?.namespace),
            ),
            [],
        );
        assert.deepStrictEqual(
            resources(r, "kubernetes:helm.sh/v3:Release").filter((x) => x.name.includes("eck")),
            [],
        );
        assert.deepStrictEqual(r.outputs.logging, { servedBy: "the production stack", dataStreams: ["logs-kline.analytics-canary"] });
        // ...and production's Filebeat collects the namespace the canary runs in.
        const prod = await renderStack("production");
        const canaryNs = r.outputs.namespace;
        const beat = one(prod, "Beat", "logging-shipper");
        assert.deepStrictEqual(beat.spec.config["filebeat.inputs"][0].paths, [containerLogGlob(canaryNs)]);
    });
});

describe("logging: every stack file", () => {
    it("registers each logging resource once (no two registrations collapse into one URN)", async () => {
        for (const stack of STACKS) {
            const r = await renderStack(stack);
            const names = r.resources.filter((x) => x.name.startsWith("logging")).map((x) => `${x.type}::${x.name}`);
            assert.strictEqual(new Set(names).size, names.length, stack);
            assert.ok(stack === "canary" || names.length >= 20, `${stack}: ${names.length} logging resources`);
        }
    });
});
