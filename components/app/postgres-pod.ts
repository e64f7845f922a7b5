// Containers and volumes of the stack's PostgreSQL pods (the live one in postgres.ts, a restored
// copy in components/backup/pitr.ts), as plain data.
import * as k8s from "@pulumi/kubernetes";
import { DatabaseConfig, PitrConfig } from "../../config/types";
import { AGENT_METRICS_PATH, AGENT_METRICS_PORT, EXPORTER_PORT, PITR_PATHS, agentEnv } from "../backup/pitr-config";
import { restrictedContainerSecurityContext } from "../../contract/security";
import { DbRoleNames, dbRolesContainerParts } from "./db-roles";

/** uid/gid of the `postgres` user in the official Debian-based image (images/postgres). */
export const POSTGRES_UID = 999;

const fromSecret = (secretName: string, key: string) => ({ valueFrom: { secretKeyRef: { name: secretName, key } } });

/** The volumes every PostgreSQL pod of the stack mounts besides its data volume. */
export function postgresVolumes(pgbackrestConfigMap?: string): k8s.types.input.core.v1.Volume[] {
    return [
        { name: "run", emptyDir: { sizeLimit: "16Mi" } },
        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
        ...(pgbackrestConfigMap
            ? [
                  { name: "pgbackrest-config", configMap: { name: pgbackrestConfigMap, defaultMode: 0o555 } },
                  { name: "pgbackrest-lock", emptyDir: { sizeLimit: "16Mi" } },
              ]
            : []),
    ];
}

/** Mounts of the server container (and of pgBackRest beside it). */
export function postgresMounts(withPgbackrest: boolean, dataReadOnly = false): k8s.types.input.core.v1.VolumeMount[] {
    return [
        { name: "data", mountPath: PITR_PATHS.volume, readOnly: dataReadOnly },
        { name: "run", mountPath: PITR_PATHS.socket },
        { name: "tmp", mountPath: "/tmp" },
        ...(withPgbackrest
            ? [
                  { name: "pgbackrest-config", mountPath: PITR_PATHS.configDir, readOnly: true },
                  { name: "pgbackrest-lock", mountPath: PITR_PATHS.lock },
              ]
            : []),
    ];
}

/**
 * The PostgreSQL server container. `args` go to `postgres` (the official entrypoint initialises an
 * empty volume first); `ready` is the readiness command; with `roles` the container creates the
 * backup jobs' roles after every start (components/app/db-roles.ts), passwords from `secretName`.
 */
export function postgresContainer(
    db: DatabaseConfig,
    secretName: string,
    opts: { args: string[]; ready: string[]; withPgbackrest: boolean; roles?: DbRoleNames },
): k8s.types.input.core.v1.Container {
    const isReady = ["pg_isready", "-h", "127.0.0.1", "-U", db.user, "-d", db.name];
    const roles = opts.roles ? dbRolesContainerParts(db.port, secretName, opts.roles) : undefined;
    return {
        name: "postgresql",
        image: db.inClusterImage,
        imagePullPolicy: "IfNotPresent",
        args: opts.args.length > 0 ? ["postgres", ...opts.args] : undefined,
        ports: [{ name: "postgres", containerPort: db.port, protocol: "TCP" }],
        env: [
            { name: "POSTGRES_USER", ...fromSecret(secretName, "username") },
            { name: "POSTGRES_DB", ...fromSecret(secretName, "database") },
            { name: "POSTGRES_PASSWORD", ...fromSecret(secretName, "password") },
            { name: "PGDATA", value: PITR_PATHS.pgdata },
            ...(roles?.env ?? []),
        ],
        lifecycle: roles?.lifecycle,
        resources: {
            requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "256Mi" },
            limits: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "512Mi" },
        },
        startupProbe: { exec: { command: isReady }, periodSeconds: 5, failureThreshold: 60 },
        // Liveness: the server still accepts TCP connections; readiness: it answers for our database.
        livenessProbe: { tcpSocket: { port: "postgres" }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
        readinessProbe: {
            exec: { command: opts.ready.length > 0 ? opts.ready : isReady },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 3,
        },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: postgresMounts(opts.withPgbackrest),
    };
}

/** A probe command: the agent's heartbeat file was touched within `minutes`. */
function heartbeatWithin(minutes: number): string[] {
    return ["sh", "-c", `test -n "$(find ${PITR_PATHS.metricsDir}/.heartbeat -mmin -${minutes} 2>/dev/null)"`];
}

/** The agent (backups, verification, metrics file), the metrics file's HTTP server and postgres_exporter. */
export function pitrSidecars(db: DatabaseConfig, pitr: PitrConfig): k8s.types.input.core.v1.Container[] {
    const env = agentEnv({
        stanza: pitr.stanza,
        fullEverySeconds: pitr.fullEverySeconds,
        incrementalEverySeconds: pitr.incrementalEverySeconds,
        verifyEverySeconds: pitr.verifyEverySeconds,
        pgdata: PITR_PATHS.pgdata,
        metricsDir: PITR_PATHS.metricsDir,
    });
    const metricsMount = (readOnly: boolean) => ({ name: "pgbackrest-metrics", mountPath: PITR_PATHS.metricsDir, readOnly });
    const small = {
        requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "16Mi" },
        limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "64Mi" },
    };
    return [
        {
            name: "pgbackrest",
            image: db.inClusterImage,
            imagePullPolicy: "IfNotPresent",
            command: ["bash", PITR_PATHS.agent],
            env: [...Object.entries(env).map(([name, value]) => ({ name, value })), { name: "PITR_PG_PORT", value: String(db.port) }],
            // Backups read the whole cluster and compress it (zstd, process-max 2).
            resources: {
                requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
                limits: { cpu: "1000m", memory: "512Mi", "ephemeral-storage": "256Mi" },
            },
            // The agent touches its heartbeat file every round and every 30 s while a backup or a
            // verification runs (hours for a large database): 10 minutes without one means it is stuck.
            readinessProbe: { exec: { command: heartbeatWithin(5) }, periodSeconds: 30 },
            livenessProbe: { exec: { command: heartbeatWithin(10) }, initialDelaySeconds: 60, periodSeconds: 60, failureThreshold: 3 },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [...postgresMounts(true, true), metricsMount(false)],
        },
        {
            name: "pgbackrest-metrics",
            image: db.inClusterImage,
            imagePullPolicy: "IfNotPresent",
            command: ["busybox", "httpd", "-f", "-p", String(AGENT_METRICS_PORT), "-h", PITR_PATHS.metricsDir],
            ports: [{ name: "pitr-metrics", containerPort: AGENT_METRICS_PORT, protocol: "TCP" }],
            resources: small,
            readinessProbe: { httpGet: { path: AGENT_METRICS_PATH, port: "pitr-metrics" }, periodSeconds: 30 },
            livenessProbe: { tcpSocket: { port: "pitr-metrics" }, periodSeconds: 30 },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [metricsMount(true)],
        },
        {
            name: "postgres-exporter",
            image: pitr.exporterImage,
            imagePullPolicy: "IfNotPresent",
            // Over the pod's Unix socket (trusted local connections): no password to hand around.
            env: [
                {
                    name: "DATA_SOURCE_NAME",
                    value: `host=${PITR_PATHS.socket} port=${db.port} user=${db.user} dbname=postgres sslmode=disable`,
                },
            ],
            ports: [{ name: "exporter", containerPort: EXPORTER_PORT, protocol: "TCP" }],
            resources: {
                requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "16Mi" },
                limits: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "64Mi" },
            },
            readinessProbe: { httpGet: { path: "/metrics", port: "exporter" }, periodSeconds: 30, timeoutSeconds: 10 },
            livenessProbe: { tcpSocket: { port: "exporter" }, periodSeconds: 30 },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [{ name: "run", mountPath: PITR_PATHS.socket, readOnly: true }],
        },
    ];
}
