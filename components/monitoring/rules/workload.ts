// Workload alerts: the track's pods and Deployment as Kubernetes sees them (kube-state-metrics) —
// a container crash looping, a container restarting repeatedly, and replicas unavailable. Both
// tracks get them; the track's pods are picked by name, as kube-state-metrics has no `track` label.
import { AlertFactory } from "./alert";
import { podSel, promql, sel } from "./promql";
import { AlertingRule, RuleParams } from "./types";

export function workloadAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const c = { container: p.container };
    const crashLooping = podSel(p, { ...c, reason: "CrashLoopBackOff" });
    const deployment = sel({ namespace: p.namespace, deployment: p.deployment });
    return [
        f.alert({
            name: "KlineAnalyticsPodCrashLooping",
            severity: "warning",
            expr: promql`
                max by (namespace, pod, container) (
                  max_over_time(kube_pod_container_status_waiting_reason${crashLooping}[5m])
                ) >= 1
            `,
            for: "15m",
            summary: "A kline-analytics container is crash looping.",
            description:
                "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 15 minutes.",
        }),
        f.alert({
            name: "KlineAnalyticsPodRestarting",
            severity: "info",
            expr: promql`
                sum by (namespace, pod, container) (
                  increase(kube_pod_container_status_restarts_total${podSel(p, c)}[1h])
                ) > ${t.restartsPerHour}
            `,
            summary: "A kline-analytics container restarts repeatedly.",
            description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last hour (threshold ${t.restartsPerHour}).`,
        }),
        f.alert({
            name: "KlineAnalyticsReplicasUnavailable",
            severity: "warning",
            expr: promql`
                (
                  max by (namespace, deployment) (kube_deployment_spec_replicas${deployment})
                  -
                  max by (namespace, deployment) (kube_deployment_status_replicas_available${deployment})
                ) > 0
            `,
            for: "15m",
            summary: "kline-analytics runs with fewer replicas than desired.",
            description:
                "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had {{ $value }} of its desired replicas unavailable for 15 minutes.",
        }),
    ];
}
