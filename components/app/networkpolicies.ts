// NetworkPolicies of the app namespace as data: deny everything, then allow exactly the flows the
// service needs. The canary's pods carry the same app name label, so production's policies cover them.
import * as k8s from "@pulumi/kubernetes";
import { AppConfig, DatabaseConfig } from "../../config/types";
import { ipBlocks } from "../shared/network";
import { APP_NAME } from "./workload";

export interface NamedPolicy {
    name: string;
    spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

export const POSTGRES_NAME = "kline-analytics-postgresql";
/** Label the backup and restore pods carry; the in-cluster database admits them. */
export const BACKUP_POD_LABEL = { "app.kubernetes.io/name": "kline-analytics-backup" };

const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const appPods = { matchLabels: { "app.kubernetes.io/name": APP_NAME } };

/** Egress to PostgreSQL: the in-cluster pods, or the external server's address block. */
export function postgresPeer(db: DatabaseConfig): k8s.types.input.networking.v1.NetworkPolicyPeer {
    return db.inCluster
        ? { podSelector: { matchLabels: { "app.kubernetes.io/name": POSTGRES_NAME } } }
        : { ipBlock: { cidr: db.egressCidr! } };
}

/**
 * `httpsEgressCidrs`: where the app may connect on 443 (config appHttpsEgressCidrs). Empty: nowhere;
 * the app calls no HTTPS service today (it has no AWS role and talks only to PostgreSQL).
 */
export function appNetworkPolicies(
    app: AppConfig,
    db: DatabaseConfig,
    monitoringNamespace: string,
    httpsEgressCidrs: string[],
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
                podSelector: { matchLabels: { "app.kubernetes.io/name": POSTGRES_NAME } },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [{ podSelector: appPods }, { podSelector: { matchLabels: BACKUP_POD_LABEL } }],
                        ports: [{ protocol: "TCP", port: db.port }],
                    },
                ],
            },
        });
    }
    return policies;
}
