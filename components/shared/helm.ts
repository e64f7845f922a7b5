// Helm releases of the pinned charts, all installed the same way.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HelmChartRef } from "../../config/types";

/**
 * The arguments of a Helm release of a pinned chart into a namespace the program creates: a failed
 * install or upgrade is rolled back (atomic) and the last 10 revisions are kept. `skipCrds` when the
 * chart's CRDs are resources of their own (ChartCrds).
 */
export function chartReleaseArgs(
    chart: HelmChartRef,
    a: { name: string; namespace: pulumi.Input<string>; values: pulumi.Input<Record<string, any>>; skipCrds?: boolean; timeout: number },
): k8s.helm.v3.ReleaseArgs {
    return {
        name: a.name,
        chart: chart.name,
        version: chart.version,
        repositoryOpts: { repo: chart.repo },
        namespace: a.namespace,
        createNamespace: false,
        values: a.values,
        ...(a.skipCrds ? { skipCrds: true } : {}),
        atomic: true,
        timeout: a.timeout,
        maxHistory: 10,
    };
}
