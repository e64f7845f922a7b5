// The network part of the configuration: the address blocks NetworkPolicies need where a label
// selector cannot name the destination (the API server, the nodes, HTTPS services outside the
// cluster). Called by config/index.ts with its Reader, so problems land in the same ConfigError.
import type { Reader } from "./reader";
import { NetworkConfig } from "./types";
import { parseCidrList } from "./validate";

const cidrs = (what: string) => (v: string) => parseCidrList(v, what);

/**
 * Reads the network keys. `installsClusterServices`: the stack installs monitoring and logging
 * (every stack but the canary), whose pods reach the API server and the nodes, so their address
 * blocks are required: no default fits every cluster, and a guessed one would either open too
 * much or silently cut Prometheus, Filebeat and the operators off.
 */
export function readNetworkConfig(r: Reader, project: string, installsClusterServices: boolean): NetworkConfig {
    const required = (key: string, how: string): string[] => {
        if (r.raw(key) === undefined) {
            r.problems.push(`${project}:${key} is not set: ${how}`);
            return [];
        }
        return r.parsed(key, "", cidrs("the network of a cluster")).value ?? [];
    };
    const apiServerCidrs = installsClusterServices
        ? required(
              "apiServerCidrs",
              "list the address blocks of the Kubernetes API server's endpoints (`kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`; " +
                  "on EKS the cluster VPC's CIDR), e.g. `pulumi config set apiServerCidrs 10.30.0.0/16`",
          )
        : [];
    const nodeCidrs = installsClusterServices
        ? required(
              "nodeCidrs",
              "list the address blocks of the cluster's nodes (`kubectl get nodes -o wide`; on EKS the node subnets or the VPC's CIDR), " +
                  "e.g. `pulumi config set nodeCidrs 10.30.0.0/16`",
          )
        : [];
    const apiServerPort = r.integer("apiServerPort");
    const optional = (key: string, what: string): string[] | undefined =>
        r.raw(key) === undefined ? undefined : (r.parsed(key, "", cidrs(what)).value ?? []);
    return {
        apiServerCidrs,
        apiServerPort,
        nodeCidrs,
        appHttpsEgressCidrs: optional("appHttpsEgressCidrs", "an HTTPS service's network") ?? [],
        backupHttpsEgressCidrs: optional("backupHttpsEgressCidrs", "a VPC endpoint's network"),
    };
}
