// NetworkPolicies of the app namespace as data: deny everything, then allow exactly the flows the
// service needs. The canary's pods carry the same app name label, so production's policies cover them.
import * as k8s from "@pulumi/kubernetes";
import { AppConfig, DatabaseConfig } from "../../config/types";
import { PUBLIC_IPV4, ipBlocks } from "../shared/network";
import { APP_NAME, APP_PODS, BACKUP_PODS, NAME_LABEL, POSTGRES_NAME, POSTGRES_PODS, POSTGRES_RESTORE_NAME } from "../../contract/names";

export interface NamedPolicy {
    name: string;
    spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const appPods = { matchLabels: APP_PODS };

/** Egress to PostgreSQL: the in-cluster pods, or the external server's address block. */
export function postgresPeer(db: DatabaseConfig): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return db.inCluster ? { podSelector: { matchLabels: POSTGRES_PODS } } : { ipBlock: { cidr: db.egressCidr! } };
}

/** Metrics ports of the database pod with point-in-time recovery: postgres_exporter, the pgBackRest agent's file. */
export const POSTGRES_METRICS_PORTS = [9187, 9854];

/**
 * @param httpsEgressCidrs where the app may connect on 443 (config appHttpsEgressCidrs). Empty:
 *   nowhere; the app calls no HTTPS service today (it has no AWS role and talks only to PostgreSQL).
 * @param pitr set when the in-cluster database archives to S3 (pgBackRest): it and its restored
 *   copies reach S3 and STS on 443 (`s3EgressCidrs`, config backupHttpsEgressCidrs, as the backup
 *   jobs do; unset: public addresses only), Prometheus reaches its metrics ports, and the live server
 *   may read a copy (switch-over).
 */
export function appNetworkPolicies(
    app: AppConfig,
    db: DatabaseConfig,
    monitoringNamespace: string,
    httpsEgressCidrs: string[],
    pitr?: { s3EgressCidrs?: string[] },
): NamedPolicy[] {
    const policies: NamedPolicy[] = [
        { name: "default-deny-all", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        {
            name: "allow-dns-egress",
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ ...nsSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
        },
        {
            name: `${APP_NAME}-ingress`,
            spec: {
                podSelector: appPods,
                policyTypes: ["Ingress"],
                ingress: [
                    { from: [nsSelector(app.ingress.controllerNamespace)], ports: [{ protocol: "TCP", port: app.httpPort }] },
                    { from: [nsSelector(monitoringNamespace)], ports: [{ protocol: "TCP", port: app.managementPort }] },
                ],
            },
        },
        {
            name: `${APP_NAME}-egress`,
            spec: {
                podSelector: appPods,
                policyTypes: ["Egress"],
                egress: [
                    { to: [postgresPeer(db)], ports: [{ protocol: "TCP", port: db.port }] },
                    ...(httpsEgressCidrs.length > 0 ? [{ to: ipBlocks(httpsEgressCidrs), ports: [{ protocol: "TCP", port: 443 }] }] : []),
                ],
            },
        },
    ];
    if (db.inCluster) {
        policies.push({
            name: `${POSTGRES_NAME}-ingress`,
            spec: {
                podSelector: { matchLabels: POSTGRES_PODS },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [{ podSelector: appPods }, { podSelector: { matchLabels: BACKUP_PODS } }],
                        ports: [{ protocol: "TCP", port: db.port }],
                    },
                    ...(pitr
                        ? [
                              {
                                  from: [nsSelector(monitoringNamespace)],
                                  ports: POSTGRES_METRICS_PORTS.map((port) => ({ protocol: "TCP", port })),
                              },
                          ]
                        : []),
                ],
            },
        });
    }
    if (db.inCluster && pitr) {
        const copies = { matchLabels: { [NAME_LABEL]: POSTGRES_RESTORE_NAME } };
        policies.push({
            // The repository (S3) and STS for IRSA; never the instance metadata service or private addresses.
            name: `${POSTGRES_NAME}-egress`,
            spec: {
                podSelector: {
                    matchExpressions: [{ key: NAME_LABEL, operator: "In", values: [POSTGRES_NAME, POSTGRES_RESTORE_NAME] }],
                },
                policyTypes: ["Egress"],
                egress: [
                    { to: pitr.s3EgressCidrs ? ipBlocks(pitr.s3EgressCidrs) : [PUBLIC_IPV4], ports: [{ protocol: "TCP", port: 443 }] },
                    // Switch-over: the live server's pod copies data out of a restored copy (docs/backups.md).
                    { to: [{ podSelector: copies }], ports: [{ protocol: "TCP", port: db.port }] },
                ],
            },
        });
    }
    return policies;
}
