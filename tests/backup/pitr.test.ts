// Point-in-time recovery as configuration and rendered resources (Pulumi mocks, no servers): the
// config keys and their refusals, the pgBackRest configuration, the roles limited to the
// repository prefix, the lifecycle rules that leave the repository to pgBackRest, the database pod
// with its agent, exporter and WAL archiving, the restored instance, and stacks with an external
// database showing the logical tier only. pitr.integration.test.ts runs the same files for real.
import { strict as assert } from "assert";
import { ConfigError, StackConfig, buildConfig } from "../../config";
import { parseRestoreInstant } from "../../config/pitr";
import { bucketLifecycleRules, pitrReaderPolicy, pitrWriterPolicy, renderPgbackrestConf } from "../../components/backup/pitr-config";
import { RenderResult, object, objects, renderStack, resources } from "../harness";
import { DEFAULT_SECRETS, REQUIRED_CONFIG, mapSource } from "../lib/config-source";
import { restrictedViolations } from "../lib/pss";

type Env = "development" | "staging" | "production" | "canary";
const build = (environment: Env, values: Record<string, string> = {}): StackConfig =>
    buildConfig(mapSource({ ...REQUIRED_CONFIG, environment, ...values }, DEFAULT_SECRETS));

function problems(environment: Env, values: Record<string, string>): string[] {
    try {
        build(environment, values);
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.problems;
    }
    assert.fail(`${JSON.stringify(values)} (${environment}) was accepted`);
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d+Z$/, "Z");
const HOUR = 3600_000;

describe("pitr: configuration", () => {
    it("dbInCluster is a supported choice for staging and production: PITR on, no external database keys needed", () => {
        for (const env of ["staging", "production"] as const) {
            const cfg = build(env, { dbInCluster: "true", dbHost: "", dbEgressCidr: "" });
            assert.equal(cfg.database.inCluster, true);
            assert.equal(cfg.database.host, "kline-analytics-postgresql");
            assert.equal(cfg.pitr?.prefix, "pgbackrest/");
            assert.equal(cfg.pitr?.retentionDays, cfg.backup.retentionDays);
            assert.equal(cfg.pitr?.archiveTimeoutSeconds, 60);
            assert.equal(cfg.pitr?.fullEverySeconds, 7 * 86400);
            assert.equal(cfg.pitr?.incrementalEverySeconds, 86400);
        }
        assert.equal(build("development").pitr?.stanza, "kline");
    });

    it("an external database and the canary get no PITR; its keys are refused there, naming why", () => {
        assert.equal(build("production").pitr, undefined);
        assert.equal(build("staging").pitr, undefined);
        const external = problems("production", { pitrFullBackupEvery: "3d" });
        assert.ok(
            external.some((p) => /pitrFullBackupEvery is set, but .*dbInCluster = true.*provider's PITR/.test(p)),
            external.join("\n"),
        );
        const canary = problems("canary", { pitrRestoreTarget: iso(HOUR) });
        assert.ok(
            canary.some((p) => /pitrRestoreTarget is set, but the canary runs no database of its own/.test(p)),
            canary.join("\n"),
        );
        const noBackups = problems("development", { backupEnabled: "false", pitrIncrementalBackupEvery: "6h" });
        assert.ok(
            noBackups.some((p) => /pitrIncrementalBackupEvery is set, but backups are off/.test(p)),
            noBackups.join("\n"),
        );
    });

    const refused: Array<[string, string, RegExp]> = [
        ["pitrRestoreTarget", "2026-12-02 14:25:00", /an RFC 3339 instant with a zone/],
        ["pitrRestoreTarget", "2026-12-02T14:25:00", /an RFC 3339 instant with a zone/],
        ["pitrRestoreTarget", "2026-02-30T14:25:00Z", /is not a real date and time/],
        ["pitrRestoreTarget", "2026-12-02T24:00:00Z", /is not a real date and time/],
        ["pitrRestoreTarget", "2026-12-02T14:25:00.1234567Z", /an RFC 3339 instant/],
        ["pitrRestoreTarget", new Date(Date.now() + 2 * HOUR).toISOString(), /lies in the future/],
        ["pitrRestoreTarget", iso(8 * 24 * HOUR), /older than backupRetentionDays \(7 days\)/],
        ["pitrFullBackupEvery", "12h", /from 1d to 30d is expected/],
        ["pitrFullBackupEvery", "weekly", /a duration such as/],
        ["pitrIncrementalBackupEvery", "30m", /from 1h to 7d is expected/],
        ["pitrIncrementalBackupEvery", "8d", /from 1h to 7d is expected/],
    ];
    for (const [key, value, reason] of refused) {
        it(`refuses ${key} = ${JSON.stringify(value)} (development)`, () => {
            const line = problems("development", { [key]: value }).find((p) =>
                p.startsWith(`kline-analytics:${key} = ${JSON.stringify(value)}`),
            );
            assert.ok(line, `no problem names ${key}`);
            assert.match(line, reason);
        });
    }

    it("accepts an instant inside the retention, in any zone, and the incremental interval up to the full one", () => {
        const cfg = build("development", { pitrRestoreTarget: iso(2 * HOUR), pitrFullBackupEvery: "3d", pitrIncrementalBackupEvery: "3d" });
        assert.equal(cfg.pitr?.incrementalEverySeconds, 3 * 86400);
        assert.ok(cfg.pitr?.restoreTarget);
        assert.doesNotThrow(() =>
            // 14:25 UTC on the day 30 hours ago: always in the past and inside the retention, whatever the time of day.
            build("development", { pitrRestoreTarget: "2026-12-02T16:25:00+02:00".replace("2026-12-02", iso(30 * HOUR).slice(0, 10)) }),
        );
    });

    it("RFC 3339 instants become PostgreSQL's UTC form and a name fragment", () => {
        const a = parseRestoreInstant("2026-12-02T16:25:00.25+02:00");
        assert.ok(a.ok);
        assert.equal(a.value.postgres, "2026-12-02 14:25:00.25+00");
        assert.equal(a.value.slug, "20261202t142500-25z");
        assert.equal(a.value.epochMs, Date.UTC(2026, 11, 2, 14, 25, 0, 250));
        const b = parseRestoreInstant("2026-12-02T14:25:00Z");
        assert.ok(b.ok);
        assert.equal(b.value.slug, "20261202t142500z");
        assert.equal(b.value.postgres, "2026-12-02 14:25:00+00");
    });

    it("the canary beside an in-cluster production database must not ask for TLS it cannot get", () => {
        const p = problems("canary", { dbHost: "kline-analytics-postgresql" });
        assert.ok(
            p.some((x) =>
                /dbSslMode = "verify-full": dbHost is kline-analytics-postgresql, .* serves no TLS; set dbSslMode to disable/.test(x),
            ),
            p.join("\n"),
        );
        assert.doesNotThrow(() => build("canary", { dbHost: "kline-analytics-postgresql", dbSslMode: "disable" }));
    });
});

describe("pitr: pgBackRest configuration, roles and lifecycle as data", () => {
    const arn = "arn:aws:s3:::kline-analytics-production-backups-0a1b2c3d";
    const key = "arn:aws:kms:us-west-2:123456789012:key/abc";

    it("pgbackrest.conf: S3 repository under its prefix with IRSA, retention by time, the server's paths", () => {
        const conf = renderPgbackrestConf({
            stanza: "kline",
            repository: { bucket: "b", region: "us-west-2", prefix: "pgbackrest/", keyType: "web-id" },
            retentionDays: 30,
            pgPath: "/var/lib/postgresql/data/pgdata",
            socketPath: "/var/run/postgresql",
            port: 5432,
            user: "kline",
            lockPath: "/tmp/pgbackrest",
            processMax: 2,
        });
        for (const line of [
            "repo1-type=s3",
            "repo1-path=/pgbackrest",
            "repo1-s3-bucket=b",
            "repo1-s3-endpoint=s3.us-west-2.amazonaws.com",
            "repo1-s3-key-type=web-id",
            "repo1-retention-full-type=time",
            "repo1-retention-full=30",
            "log-level-file=off",
            "[kline]",
            "pg1-path=/var/lib/postgresql/data/pgdata",
        ]) {
            assert.ok(conf.split("\n").includes(line), `missing ${line}:\n${conf}`);
        }
        assert.doesNotMatch(conf, /repo1-s3-key=|key-secret/, "no credentials in the file");
    });

    it("the writer role reads, writes and deletes under pgbackrest/ only; the reader only reads", () => {
        const w = pitrWriterPolicy(arn, "pgbackrest/", key, "us-west-2");
        const objectStatements = w.Statement.filter((s) => String(s.Resource).startsWith(`${arn}/`));
        assert.deepEqual(
            objectStatements.map((s) => s.Resource),
            [`${arn}/pgbackrest/*`],
        );
        assert.deepEqual((objectStatements[0].Action as string[]).sort(), [
            "s3:AbortMultipartUpload",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListMultipartUploadParts",
            "s3:PutObject",
        ]);
        const list = w.Statement.find((s) => s.Action === "s3:ListBucket")!;
        assert.deepEqual((list.Condition as any).StringLike["s3:prefix"], ["pgbackrest/", "pgbackrest/*"]);
        const r = pitrReaderPolicy(arn, "pgbackrest/", key, "us-west-2");
        const actions = r.Statement.flatMap((s) => [s.Action].flat());
        assert.deepEqual(actions.sort(), ["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
        assert.ok(!JSON.stringify(w).includes("backups/"), "no access to the logical dumps");
    });

    it("the bucket's age-based expiry never reaches pgbackrest/; only pgBackRest's deleted versions are cleaned there", () => {
        const rules = bucketLifecycleRules(30, "backups/", "pgbackrest/");
        const aged = rules.filter((r) => r.expiration?.days !== undefined);
        assert.ok(aged.length > 0 && aged.every((r) => !"pgbackrest/".startsWith(r.filter.prefix)), JSON.stringify(aged));
        const repo = rules.filter((r) => r.filter.prefix === "pgbackrest/");
        assert.equal(repo.length, 1);
        assert.equal(repo[0].expiration?.days, undefined);
        assert.ok(repo[0].noncurrentVersionExpiration!.noncurrentDays >= 1);
        assert.throws(() => bucketLifecycleRules(30, "", "pgbackrest/"), /would expire the pgBackRest repository/);
    });
});

describe("pitr: production with dbInCluster=true under mocks", () => {
    let r: RenderResult;
    let restored: RenderResult;
    const target = iso(3 * HOUR);
    before(async () => {
        const overrides = { dbInCluster: "true" };
        r = await renderStack("production", { overrides });
        restored = await renderStack("production", { overrides: { ...overrides, pitrRestoreTarget: target } });
    });

    const sts = (x: RenderResult) => object(x, "StatefulSet", "kline-analytics-postgresql");
    const container = (spec: any, name: string) => spec.containers.find((c: any) => c.name === name);

    it("the server archives every WAL segment through pgBackRest, switching at least once a minute", () => {
        const args: string[] = container(sts(r).spec.template.spec, "postgresql").args;
        const settings = args.filter((_, i) => args[i - 1] === "-c");
        assert.deepEqual(settings, [
            "wal_level=replica",
            "archive_mode=on",
            "archive_command=pgbackrest --stanza=kline archive-push %p",
            "archive_timeout=60",
        ]);
        assert.equal(args[0], "postgres");
    });

    it("the pod runs as the repository writer's ServiceAccount, with the agent, its metrics server and a pinned exporter, all restricted", () => {
        const spec = sts(r).spec.template.spec;
        assert.equal(spec.serviceAccountName, "kline-analytics-postgresql");
        const sa = object(r, "ServiceAccount", "kline-analytics-postgresql");
        const writer = resources(r, "aws:iam/role:Role").find((x) => x.name === "pitr-writer-role")!;
        assert.ok(writer);
        assert.match(sa.metadata.annotations["eks.amazonaws.com/role-arn"], /pitr-writer-role/);
        const trust = JSON.parse(writer.inputs.assumeRolePolicy);
        assert.equal(
            Object.values(trust.Statement[0].Condition.StringEquals)[0],
            "system:serviceaccount:kline-analytics-production:kline-analytics-postgresql",
        );
        assert.deepEqual(
            spec.containers.map((c: any) => c.name),
            ["postgresql", "pgbackrest", "pgbackrest-metrics", "postgres-exporter"],
        );
        assert.match(container(spec, "postgres-exporter").image, /^quay\.io\/prometheuscommunity\/postgres-exporter:v\d+\.\d+\.\d+$/);
        const agent = container(spec, "pgbackrest");
        assert.deepEqual(agent.command, ["bash", "/etc/pgbackrest/pitr-agent.sh"]);
        const env = Object.fromEntries(agent.env.map((e: any) => [e.name, e.value]));
        assert.equal(env.PITR_FULL_EVERY_SECONDS, "604800");
        assert.equal(env.PITR_INCR_EVERY_SECONDS, "86400");
        assert.ok(agent.volumeMounts.find((m: any) => m.name === "data").readOnly, "the agent reads the data volume only");
        assert.deepEqual(restrictedViolations(spec), []);
        for (const c of spec.containers) assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
    });

    it("the ConfigMap carries the rendered pgbackrest.conf for the stack's bucket, the agent and pitr.sh", () => {
        const cm = object(r, "ConfigMap", "kline-analytics-pgbackrest");
        const bucket = resources(r, "aws:s3/bucket:Bucket").find((x) => x.name === "backup-bucket")!.inputs.bucket;
        assert.match(cm.data["pgbackrest.conf"], new RegExp(`repo1-s3-bucket=${bucket}\\n`));
        assert.match(cm.data["pgbackrest.conf"], /repo1-retention-full=30\n/);
        assert.match(cm.data["pitr-agent.sh"], /^#!\/bin\/bash/);
        assert.match(cm.data["pitr.sh"], /pitr\.sh window/);
    });

    it("the repository roles are limited to pgbackrest/ and the lifecycle leaves it to pgBackRest", () => {
        const policies = resources(r, "aws:iam/rolePolicy:RolePolicy").filter((x) => x.name.startsWith("pitr-"));
        assert.equal(policies.length, 2);
        for (const p of policies) {
            const doc = JSON.parse(p.inputs.policy);
            for (const s of doc.Statement.filter((x: any) => String(x.Resource).includes(":s3:::") && String(x.Resource).includes("/"))) {
                assert.match(s.Resource, /\/pgbackrest\/\*$/, p.name);
            }
        }
        const lifecycle = resources(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find(
            (x) => x.name === "backup-lifecycle",
        )!;
        const rules = lifecycle.inputs.rules as any[];
        assert.ok(rules.some((x) => x.filter.prefix === "pgbackrest/" && x.expiration?.days === undefined));
        assert.ok(rules.every((x) => x.expiration?.days === undefined || !"pgbackrest/".startsWith(x.filter.prefix)));
    });

    it("Prometheus scrapes the database pod's metrics and the PITR alerts use the stack's schedule", () => {
        const sm = object(r, "ServiceMonitor", "kline-analytics-postgresql");
        assert.deepEqual(
            sm.spec.endpoints.map((e: any) => `${e.port}${e.path}`),
            ["exporter/metrics", "pitr-metrics/metrics.txt"],
        );
        const rule = objects(r, "PrometheusRule")[0];
        const group = rule.spec.groups.find((g: any) => g.name === "kline-analytics.stable.pitr");
        assert.ok(group);
        const tooOld = group.rules.find((x: any) => x.alert === "KlineAnalyticsPitrBackupTooOld");
        assert.match(tooOld.expr, /> 93600$/);
        const policy = object(r, "NetworkPolicy", "kline-analytics-postgresql-ingress");
        assert.ok(policy.spec.ingress.some((i: any) => i.ports.some((p: any) => p.port === 9187)));
    });

    it("no restored instance unless pitrRestoreTarget is set", () => {
        assert.equal(objects(r, "StatefulSet").filter((s) => s.metadata.name.startsWith("kline-analytics-pitr-")).length, 0);
    });

    it("pitrRestoreTarget brings up a copy beside the live one: read-only role, pgBackRest restore to the instant in its init step, archiving off", () => {
        const copies = objects(restored, "StatefulSet").filter((s) => s.metadata.name.startsWith("kline-analytics-pitr-"));
        assert.equal(copies.length, 1);
        const copy = copies[0];
        const parsed = parseRestoreInstant(target);
        assert.ok(parsed.ok);
        assert.equal(copy.metadata.name, `kline-analytics-pitr-${parsed.value.slug}`);
        const spec = copy.spec.template.spec;
        assert.equal(spec.serviceAccountName, "kline-analytics-postgresql-restore");
        const sa = object(restored, "ServiceAccount", "kline-analytics-postgresql-restore");
        assert.match(sa.metadata.annotations["eks.amazonaws.com/role-arn"], /pitr-reader-role/);
        assert.deepEqual(spec.initContainers[0].command, [
            "bash",
            "/etc/pgbackrest/pitr.sh",
            "restore",
            "--target",
            target,
            "--data-dir",
            "/var/lib/postgresql/data/pgdata",
            "--no-start",
            "--resume",
        ]);
        const server = spec.containers[0];
        assert.deepEqual(server.args, ["postgres", "-c", "archive_mode=off"]);
        assert.match(server.readinessProbe.exec.command.join(" "), /pg_is_in_recovery/);
        assert.deepEqual(restrictedViolations(spec), []);
        // The live database is unchanged by the request.
        assert.deepEqual(sts(restored).spec, sts(r).spec);
        assert.equal(object(restored, "Service", copy.metadata.name).spec.clusterIP, "None");
    });
});

describe("pitr: stacks with an external database show the logical tier only", () => {
    for (const stack of ["staging", "production"] as const) {
        it(stack, async () => {
            const r = await renderStack(stack);
            assert.equal(objects(r, "StatefulSet").length, 0);
            assert.equal(objects(r, "ConfigMap", "kline-analytics-pgbackrest").length, 0);
            assert.equal(resources(r, "aws:iam/role:Role").filter((x) => x.name.startsWith("pitr-")).length, 0);
            assert.ok(objects(r, "CronJob", "kline-analytics-backup").length === 1, "the logical backup CronJob stays");
            const rules = objects(r, "PrometheusRule")[0].spec.groups.map((g: any) => g.name);
            assert.ok(!rules.includes("kline-analytics.stable.pitr"));
        });
    }
});
