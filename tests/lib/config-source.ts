// A ConfigSource over plain maps, so config tests exercise buildConfig without the Pulumi runtime.
import * as pulumi from "@pulumi/pulumi";
import { ConfigSource } from "../../config";

/** The keys every stack must set (Pulumi.yaml declares them without a default). */
export const REQUIRED_CONFIG: Record<string, string> = {
    image: "ghcr.io/stocksanalyses/kline-analytics:1.4.2",
    ingressHost: "kline.example.com",
    dbHost: "db.example.internal",
    dbEgressCidr: "10.30.0.0/16",
    oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC",
    oidcProviderUrl: "oidc.eks.us-west-2.amazonaws.com/id/ABC",
};

/** The secrets a mapSource has unless a test passes its own: the ones production cannot do without. */
export const DEFAULT_SECRETS: Record<string, string> = {
    dbPassword: "pw",
    backupDbPassword: "backup-pw",
    restoreDbPassword: "restore-pw",
    heartbeatUrl: "https://heartbeat.example.com/ping/kline",
};

/**
 * Plain values plus secrets (stored with --secret unless listed in `plaintext`); "" counts as unset,
 * as with the CLI. aws:region is us-west-2.
 */
export function mapSource(
    values: Record<string, string>,
    secrets: Record<string, string> = DEFAULT_SECRETS,
    plaintext: string[] = [],
): ConfigSource {
    const all = { ...values, ...secrets };
    return {
        project: "kline-analytics",
        stack: values.environment ?? "test",
        get: (k) => (all[k] === "" ? undefined : all[k]),
        getSecret: (k) => (all[k] === undefined || all[k] === "" ? undefined : pulumi.secret(all[k])),
        isSecret: (k) => k in secrets && !plaintext.includes(k),
        getIn: (ns, k) => (ns === "aws" && k === "region" ? "us-west-2" : undefined),
    };
}
