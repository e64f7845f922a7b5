// The ServiceAccount of pods that assume an IAM role through IRSA (the role's trust policy names it).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface IrsaServiceAccountArgs {
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    roleArn: pulumi.Input<string>;
}

/** A ServiceAccount annotated with its IAM role; no API token is mounted (the pods never call the API). */
export function irsaServiceAccount(
    resourceName: string,
    a: IrsaServiceAccountArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
    return new k8s.core.v1.ServiceAccount(
        resourceName,
        {
            metadata: { name: a.name, namespace: a.namespace, labels: a.labels, annotations: { "eks.amazonaws.com/role-arn": a.roleArn } },
            automountServiceAccountToken: false,
        },
        opts,
    );
}
