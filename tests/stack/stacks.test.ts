// Every stack file renders under mocks, and its Kubernetes objects carry its environment's row of
// the environment matrix (config/environments.ts).
import { strict as assert } from "assert";
import { XMLParser } from "fast-xml-parser";
import { parse } from "yaml";
import { deploymentOptions } from "../../components/app";
import { STACKS, object, objects, renderStack, resources } from "../harness";

const EXPECTED = {
    development: {
        replicas: 1,
        cpu: ["100m", "250m"],
        memory: ["512Mi", "512Mi"],
        heap: "256m",
        level: "DEBUG",
        sample: 0.1,
        affinity: "none",
    },
    staging: {
        replicas: 2,
        cpu: ["500m", "1000m"],
        memory: ["2Gi", "2Gi"],
        heap: "1g",
        level: "INFO",
        sample: 0.05,
        affinity: "preferred",
    },
    production: {
        replicas: 3,
        cpu: ["1000m", "2000m"],
        memory: ["4Gi", "4Gi"],
        heap: "2g",
        level: "WARN",
        sample: 0.01,
        affinity: "required",
    },
    canary: { replicas: 1, cpu: ["500m", "1000m"], memory: ["2Gi", "2Gi"], heap: "1g", level: "INFO", sample: 0.1, affinity: "preferred" },
} as const;

const appName = (stack: string) => (stack === "canary" ? "kline-analytics-canary" : "kline-analytics");

for (const stack of STACKS) {
    describe(`stack ${stack}`, () => {
        const want = EXPECTED[stack];

        it("renders without warnings other than unset secrets, and without duplicate URNs", async () => {
            const r = await renderStack(stack);
            assert.deepEqual(
                r.warnings.filter((w) => !/rendered with a stand-in/.test(w)),
                [],
            );
            const urns = r.resources.map((x) => `${x.type}::${x.name}`);
            assert.equal(new Set(urns).size, urns.length);
        });

        it(`Deployment: ${want.replicas} replicas, requests/limits ${want.cpu.join("/")} CPU and ${want.memory.join("/")} memory`, async () => {
            const d = object(await renderStack(stack), "Deployment", appName(stack));
            assert.equal(d.spec.replicas, want.replicas);
            const c = d.spec.template.spec.containers[0];
            assert.deepEqual(c.resources, {
                requests: { cpu: want.cpu[0], memory: want.memory[0], "ephemeral-storage": "256Mi" },
                limits: { cpu: want.cpu[1], memory: want.memory[1], "ephemeral-storage": "512Mi" },
            });
        });

        it(`JVM heap ${want.heap} through JAVA_TOOL_OPTIONS`, async () => {
            const c = object(await renderStack(stack), "Deployment", appName(stack)).spec.template.spec.containers[0];
            const opts = c.env.find((e: any) => e.name === "JAVA_TOOL_OPTIONS").value.split(" ");
            assert.ok(opts.includes(`-Xms${want.heap}`) && opts.includes(`-Xmx${want.heap}`), opts.join(" "));
            assert.ok(opts.some((o: string) => o.startsWith("-XX:MaxMetaspaceSize=")));
        });

        it(`anti-affinity ${want.affinity}${stack === "production" ? " and zone spread" : ""}`, async () => {
            const spec = object(await renderStack(stack), "Deployment", appName(stack)).spec.template.spec;
            const anti = spec.affinity?.podAntiAffinity;
            if (want.affinity === "none") assert.equal(anti, undefined);
            if (want.affinity === "preferred")
                assert.equal(anti.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey, "kubernetes.io/hostname");
            if (want.affinity === "required")
                assert.equal(anti.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
            const zones = (spec.topologySpreadConstraints ?? []).map((t: any) => `${t.topologyKey}:${t.whenUnsatisfiable}`);
            assert.deepEqual(zones, stack === "production" ? ["topology.kubernetes.io/zone:DoNotSchedule"] : []);
        });

        it("graceful shutdown, three probes, no rollout below the desired count, config checksum", async () => {
            const r = await renderStack(stack);
            const d = object(r, "Deployment", appName(stack));
            const pod = d.spec.template.spec;
            const c = pod.containers[0];
            assert.equal(pod.terminationGracePeriodSeconds, 30);
            assert.ok(c.lifecycle.preStop.sleep.seconds > 0 && c.lifecycle.preStop.sleep.seconds < 30);
            assert.equal(c.livenessProbe.httpGet.path, "/actuator/health/liveness");
            assert.equal(c.readinessProbe.httpGet.path, "/actuator/health/readiness");
            assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 120);
            assert.deepEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
            const cm = object(r, "ConfigMap", `${appName(stack)}-config`);
            const settings = parse(cm.data["application.yaml"]);
            assert.equal(settings.server.shutdown, "graceful");
            // Spring must finish inside what is left of the grace period after preStop.
            assert.ok(parseInt(settings.spring.lifecycle["timeout-per-shutdown-phase"], 10) + c.lifecycle.preStop.sleep.seconds < 30);
            assert.deepEqual(settings.management.endpoint.health.group.readiness.include.split(","), ["readinessState", "db"]);
            assert.match(d.spec.template.metadata.annotations["checksum/config"], /^[0-9a-f]{64}$/);
        });

        it(`Logback: root level ${want.level}, INFO/DEBUG sampled at ${want.sample}, WARN+ kept, secrets masked`, async () => {
            const cm = object(await renderStack(stack), "ConfigMap", `${appName(stack)}-config`);
            const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" }).parse(cm.data["logback.xml"]);
            assert.equal(xml.configuration.root["@level"], want.level);
            const filter = xml.configuration.appender.find((a: any) => a["@name"] === "JSON").filter;
            // The service's sampling filter (components/app/logback.ts): below WARN, keep a share of `sampleRate`.
            assert.equal(filter["@class"], "com.stocksanalyses.logging.LevelSamplingFilter");
            assert.equal(filter.alwaysKeep, "WARN");
            assert.equal(filter.sampleRate, "${SAMPLE_RATE}");
            assert.equal([xml.configuration.property].flat().find((p: any) => p["@name"] === "SAMPLE_RATE")["@value"], String(want.sample));
            const mask = xml.configuration.appender.find((a: any) => a["@name"] === "JSON").encoder.jsonGeneratorDecorator;
            assert.equal(mask.defaultMask, "[REDACTED]");
            for (const key of ["password", "token", "secret", "apiKey"]) assert.ok(mask.path.includes(key), key);
        });

        it("the database password reaches the pod only through a Secret reference", async () => {
            const r = await renderStack(stack);
            const env = object(r, "Deployment", appName(stack)).spec.template.spec.containers[0].env;
            const pw = env.find((e: any) => e.name === "SPRING_DATASOURCE_PASSWORD");
            assert.deepEqual(pw, {
                name: "SPRING_DATASOURCE_PASSWORD",
                valueFrom: { secretKeyRef: { name: "kline-analytics-db", key: "password" } },
            });
            for (const e of env) assert.ok(!/password/i.test(e.name) || e.valueFrom, `${e.name} is a literal`);
            const secrets = objects(r, "Secret", "kline-analytics-db");
            assert.equal(secrets.length, stack === "canary" ? 0 : 1, "the canary reuses production's Secret");
            for (const s of secrets) {
                assert.ok(Object.keys(s.stringData).includes("password"));
                assert.deepEqual(
                    Object.values(s.stringData).filter((v) => v !== "[secret]"),
                    [],
                    "Secret values are rendered as the placeholder",
                );
            }
        });

        it("PodDisruptionBudget exactly when replicas > 1; HPA only in production", async () => {
            const r = await renderStack(stack);
            assert.equal(objects(r, "PodDisruptionBudget").length, want.replicas > 1 ? 1 : 0);
            const hpas = objects(r, "HorizontalPodAutoscaler");
            assert.equal(hpas.length, stack === "production" ? 1 : 0);
            for (const h of hpas) {
                assert.deepEqual([h.spec.minReplicas, h.spec.maxReplicas, h.spec.scaleTargetRef.name], [3, 10, "kline-analytics"]);
            }
        });

        it("stack outputs name the namespace, service DNS and image", async () => {
            const r = await renderStack(stack);
            const ns = stack === "canary" ? "kline-analytics-production" : `kline-analytics-${stack}`;
            assert.equal(r.outputs.namespace, ns);
            assert.equal(r.outputs.serviceDns, `${appName(stack)}.${ns}.svc.cluster.local`);
            assert.match(r.outputs.image, /^ghcr\.io\/stocksanalyses\/kline-analytics:\d+\.\d+\.\d+/);
        });
    });
}

describe("stack specifics", () => {
    it("development runs its own hardened PostgreSQL with a generated password", async () => {
        const r = await renderStack("development");
        const sts = object(r, "StatefulSet", "kline-analytics-postgresql");
        assert.equal(sts.metadata.namespace, "kline-analytics-development");
        assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");
        const env = sts.spec.template.spec.containers[0].env.find((e: any) => e.name === "POSTGRES_PASSWORD");
        assert.deepEqual(env.valueFrom.secretKeyRef, { name: "kline-analytics-db", key: "password" });
        // (Grafana's admin password is generated too: count the database's only.)
        const pw = resources(r, "random:index/randomPassword:RandomPassword").filter(
            (p) => p.name === "kline-analytics-postgresql-password",
        );
        assert.equal(pw.length, 1);
        assert.ok(pw[0].inputs.length >= 24);
        const cm = parse(object(r, "ConfigMap", "kline-analytics-config").data["application.yaml"]);
        assert.equal(cm.spring.datasource.url, "jdbc:postgresql://kline-analytics-postgresql:5432/kline_analytics?sslmode=disable");
        assert.equal(object(r, "Service", "kline-analytics-postgresql").spec.ports[0].port, 5432);
    });

    it("canary: a track=canary Deployment in production's namespace behind a weighted ingress-nginx canary", async () => {
        const r = await renderStack("canary");
        const d = object(r, "Deployment", "kline-analytics-canary");
        assert.equal(d.metadata.namespace, "kline-analytics-production");
        assert.equal(d.spec.template.metadata.labels.track, "canary");
        assert.equal(d.spec.selector.matchLabels.track, "canary");
        assert.equal(object(r, "Service", "kline-analytics-canary").spec.selector.track, "canary");
        const ing = object(r, "Ingress", "kline-analytics-canary");
        assert.equal(ing.metadata.annotations["nginx.ingress.kubernetes.io/canary"], "true");
        assert.equal(ing.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"], "10");
        const prod = await renderStack("production");
        assert.equal(
            ing.spec.rules[0].host,
            object(prod, "Ingress", "kline-analytics").spec.rules[0].host,
            "canary shares production's host",
        );
        assert.equal(
            object(prod, "Service", "kline-analytics").spec.selector.track,
            "stable",
            "production's Service must not route to the canary",
        );
        assert.equal(objects(r, "Namespace").length + objects(r, "NetworkPolicy").length, 0, "production owns the namespace");
    });

    it("the canary traffic share follows canaryTrafficPercent", async () => {
        const r = await renderStack("canary", { overrides: { canaryTrafficPercent: "35" } });
        assert.equal(
            object(r, "Ingress", "kline-analytics-canary").metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"],
            "35",
        );
    });

    it("with an autoscaler, Pulumi leaves spec.replicas to the HPA after creation", async () => {
        const r = await renderStack("production");
        const dep = resources(r, "kubernetes:apps/v1:Deployment")[0];
        assert.deepEqual(dep.options.ignoreChanges, ["spec.replicas"]);
        assert.deepEqual(resources(await renderStack("staging"), "kubernetes:apps/v1:Deployment")[0].options.ignoreChanges, undefined);
        const app = { hpa: { enabled: false, minReplicas: 2, maxReplicas: 2, targetCpuUtilization: 70 } } as any;
        assert.deepEqual(deploymentOptions(app), {});
        assert.deepEqual(deploymentOptions({ ...app, hpa: { ...app.hpa, enabled: true } }), { ignoreChanges: ["spec.replicas"] });
    });
});

describe("resource options", () => {
    it("production's namespace is protected; the others are not", async () => {
        for (const stack of STACKS) {
            const ns = resources(await renderStack(stack), "kubernetes:core/v1:Namespace").filter((r) =>
                r.inputs.metadata.name.startsWith("kline-analytics-"),
            );
            assert.equal(ns.length, stack === "canary" ? 0 : 1, stack);
            for (const n of ns) assert.equal(n.options.protect, stack === "production" ? true : undefined, stack);
        }
    });
});

describe("index.ts (what `pulumi up` runs)", () => {
    it("loads the stack's config and exports the stack outputs", async () => {
        const { installMocks, loadStackConfig } = await import("../../renderer");
        installMocks("staging", loadStackConfig("staging"));
        const program = await import("../../index");
        const resolve = (o: any) => new Promise((ok) => o.apply(ok));
        assert.equal(program.environment, "staging");
        assert.equal(await resolve(program.namespace), "kline-analytics-staging");
        assert.equal(await resolve(program.serviceDns), "kline-analytics.kline-analytics-staging.svc.cluster.local");
        assert.equal(program.url, "https://kline-analytics.staging.stocksanalyses.example");
    });
});
