// Composition: providers once, then one component per concern, then the outputs a user needs.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KlineApp } from "./components/app";
import {
    BACKUP_SERVICE_ACCOUNT,
    BackupBucket,
    Backups,
    PitrRestore,
    PitrRoles,
    RESTORE_SERVICE_ACCOUNT,
    restoreInstanceName,
} from "./components/backup";
import { LoggingStack } from "./components/logging";
import { MonitoringStack } from "./components/monitoring";
import { POSTGRES_SERVICE, StackConfig } from "./config";
import { showSeconds } from "./config/validate";
import { APP_NAME, DB_SECRET_NAME } from "./contract/names";

export interface Providers {
    kubernetes: k8s.Provider;
    aws: aws.Provider;
}

/** Providers are created here once and handed to every component. */
export function createProviders(cfg: StackConfig): Providers {
    return {
        // Server-side apply lets Pulumi share fields with controllers (HPA replicas, operators).
        kubernetes: new k8s.Provider("kubernetes", { enableServerSideApply: true, deleteUnreachable: false }),
        aws: new aws.Provider("aws", {
            region: cfg.aws.region as aws.Region,
            defaultTags: { tags: { project: APP_NAME, environment: cfg.environment, "managed-by": "pulumi", stack: cfg.stack } },
        }),
    };
}

/** Fully qualified name of a stack reference: <stack> and <project>/<stack> are completed with this stack's. */
export function qualifiedStackName(ref: string, organization = pulumi.getOrganization(), project = pulumi.getProject()): string {
    const parts = ref.split("/");
    if (parts.length === 3) return ref;
    if (parts.length === 2) return `${organization}/${ref}`;
    return `${organization}/${project}/${ref}`;
}

/**
 * The canary runs beside production, in production's namespace, with production's NetworkPolicies,
 * database Secret and monitoring. A StackReference makes that dependency explicit: every canary
 * object takes the namespace from production's outputs, so a canary before production fails at
 * preview, naming the production stack, instead of failing half-way through `pulumi up`.
 */
export function productionNamespace(cfg: StackConfig): pulumi.Output<string> | undefined {
    if (!cfg.app.canary) return undefined;
    const name = qualifiedStackName(cfg.app.canary.productionStack);
    const production = new pulumi.StackReference("production", { name });
    return production.getOutput("namespace").apply((ns) => {
        if (typeof ns !== "string" || ns === "") {
            throw new pulumi.RunError(
                `the canary runs in production's namespace, but the stack ${name} exports no namespace: ` +
                    `deploy production first (pulumi up --stack production), or set productionStack to the stack that runs it`,
            );
        }
        if (ns !== cfg.namespace) {
            throw new pulumi.RunError(
                `the production stack ${name} runs in namespace ${ns}, but this canary is configured for ${cfg.namespace}: ` +
                    `set productionNamespace to ${ns} (pulumi config set productionNamespace ${ns} --stack ${cfg.stack})`,
            );
        }
        return ns;
    });
}

export function createStack(cfg: StackConfig) {
    const providers = createProviders(cfg);
    const k8sOpts: pulumi.ComponentResourceOptions = { providers: [providers.kubernetes] };
    const production = productionNamespace(cfg);
    const apiServer = { cidrs: cfg.network.apiServerCidrs, port: cfg.network.apiServerPort };

    // The bucket comes first: with point-in-time recovery the in-cluster database writes into it too.
    const bucket = cfg.backup.enabled
        ? new BackupBucket(
              "backup",
              {
                  environment: cfg.environment,
                  protect: cfg.protect,
                  retentionDays: cfg.backup.retentionDays,
                  prefix: cfg.backup.prefix,
                  encryption: cfg.backup.encryption,
                  objectLockDays: cfg.backup.objectLockDays,
                  accessLogging: cfg.backup.accessLogging,
                  region: cfg.aws.region,
                  oidcProviderArn: cfg.aws.oidcProviderArn,
                  oidcProviderUrl: cfg.aws.oidcProviderUrl,
                  namespace: cfg.namespace,
                  writerServiceAccount: BACKUP_SERVICE_ACCOUNT,
                  readerServiceAccount: RESTORE_SERVICE_ACCOUNT,
                  pitrPrefix: cfg.pitr?.prefix,
              },
              { providers: [providers.aws] },
          )
        : undefined;
    const pitrRoles =
        bucket && cfg.pitr
            ? new PitrRoles(
                  "pitr",
                  {
                      environment: cfg.environment,
                      bucketArn: bucket.bucketArn,
                      kmsKeyArn: bucket.kmsKeyArn,
                      prefix: cfg.pitr.prefix,
                      region: cfg.aws.region,
                      oidcProviderArn: cfg.aws.oidcProviderArn,
                      oidcProviderUrl: cfg.aws.oidcProviderUrl,
                      namespace: cfg.namespace,
                  },
                  { providers: [providers.aws] },
              )
            : undefined;

    const app = new KlineApp(
        APP_NAME,
        {
            environment: cfg.environment,
            namespace: cfg.namespace,
            ownsNamespace: cfg.ownsNamespace,
            protect: cfg.protect,
            existingNamespace: production,
            labels: cfg.labels,
            app: cfg.app,
            database: cfg.database,
            monitoringNamespace: cfg.monitoring.namespace,
            httpsEgressCidrs: cfg.network.appHttpsEgressCidrs,
            backupHttpsEgressCidrs: cfg.network.backupHttpsEgressCidrs,
            pitr:
                bucket && pitrRoles && cfg.pitr
                    ? { config: cfg.pitr, bucketName: bucket.bucketName, region: cfg.aws.region, writerRoleArn: pitrRoles.writerRoleArn }
                    : undefined,
            backupRoles: cfg.backup.enabled ? cfg.backup.roles : undefined,
        },
        k8sOpts,
    );

    // Backups: the CronJob (and a restore Job on request) against the bucket; none on the canary.
    // With the in-cluster database the jobs use the role passwords it was given or generated.
    const roles = app.postgres?.rolePasswords ? { ...cfg.backup.roles, ...app.postgres.rolePasswords } : cfg.backup.roles;
    const backups = bucket
        ? new Backups(
              "backup",
              {
                  namespace: app.namespace,
                  namespaceName: cfg.namespace,
                  bucket,
                  region: cfg.aws.region,
                  backup: { ...cfg.backup, roles },
                  database: cfg.database,
                  labels: cfg.labels,
                  httpsEgressCidrs: cfg.network.backupHttpsEgressCidrs,
              },
              k8sOpts,
          )
        : undefined;

    // A copy of the in-cluster database recovered to pitrRestoreTarget, beside the live one.
    const pitrRestore =
        pitrRoles && cfg.pitr?.restoreTarget && app.postgres
            ? new PitrRestore(
                  "pitr-restore",
                  {
                      namespace: app.namespace,
                      labels: cfg.labels,
                      pitr: { ...cfg.pitr, restoreTarget: cfg.pitr.restoreTarget },
                      database: cfg.database,
                      secretName: DB_SECRET_NAME,
                      readerRoleArn: pitrRoles.readerRoleArn,
                  },
                  // The pgBackRest ConfigMap and the database Secret are the live database's.
                  { ...k8sOpts, dependsOn: [app.postgres] },
              )
            : undefined;

    // Logging: the canary stack has none (production's stack ships and keeps the canary's logs).
    const logging = cfg.logging.stack
        ? new LoggingStack(
              "logging",
              {
                  environment: cfg.environment,
                  logging: cfg.logging,
                  labels: cfg.labels,
                  appNamespace: app.namespace,
                  appNamespaceName: cfg.namespace,
                  apiServer: apiServer,
              },
              k8sOpts,
          )
        : undefined;

    // Monitoring: production/staging/development install kube-prometheus-stack; the canary stack adds
    // only its ServiceMonitor and alerts to production's (components/monitoring).
    const monitoring = new MonitoringStack(
        "monitoring",
        {
            environment: cfg.environment,
            monitoring: cfg.monitoring,
            app: cfg.app,
            appNamespace: app.namespace,
            appNamespaceName: cfg.namespace,
            backups: cfg.backup.enabled,
            pitr: cfg.pitr
                ? { fullEverySeconds: cfg.pitr.fullEverySeconds, incrementalEverySeconds: cfg.pitr.incrementalEverySeconds }
                : undefined,
            labels: cfg.labels,
            network: { apiServer, nodeCidrs: cfg.network.nodeCidrs },
        },
        k8sOpts,
    );

    return {
        environment: cfg.environment,
        namespace: app.namespace,
        deployment: app.deployment.metadata.name,
        serviceDns: app.serviceDns,
        url: `https://${cfg.app.ingress.host}`,
        image: cfg.app.image,
        track: cfg.app.track,
        monitoring: monitoring.endpoints,
        backup: {
            ...(backups ? backups.outputs : { enabled: false, servedBy: cfg.backup.servedBy }),
            ...(bucket && pitrRoles && cfg.pitr
                ? {
                      pointInTimeRecovery: {
                          repository: pulumi.interpolate`s3://${bucket.bucketName}/${cfg.pitr.prefix}`,
                          stanza: cfg.pitr.stanza,
                          writerRoleArn: pitrRoles.writerRoleArn,
                          readerRoleArn: pitrRoles.readerRoleArn,
                          archiveTimeoutSeconds: cfg.pitr.archiveTimeoutSeconds,
                          schedule: `full every ${showSeconds(cfg.pitr.fullEverySeconds)}, incremental every ${showSeconds(cfg.pitr.incrementalEverySeconds)} (by age)`,
                          retentionDays: cfg.pitr.retentionDays,
                          window: `kubectl -n ${cfg.namespace} exec ${POSTGRES_SERVICE}-0 -c pgbackrest -- bash /etc/pgbackrest/pitr.sh window`,
                          restoredInstance: pitrRestore
                              ? `${restoreInstanceName(cfg.pitr.restoreTarget!.slug)} (recovered to ${cfg.pitr.restoreTarget!.text})`
                              : "none (set pitrRestoreTarget)",
                      },
                  }
                : {}),
        },
        // Top level so `pulumi stack output backupBucket` can read it (scripts/deploy.sh status checks
        // BACKUP_S3_BUCKET against it); absent on stacks without backups (no undefined output).
        ...(bucket ? { backupBucket: bucket.bucketName } : {}),
        logging: logging
            ? { kibana: logging.kibanaUrl, elasticsearch: logging.elasticsearchUrl, dataStreams: logging.dataStreams }
            : { servedBy: "the production stack", dataStreams: ["logs-kline.analytics-canary"] },
    };
}
