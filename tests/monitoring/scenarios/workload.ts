// promtool scenarios of the workload alerts (components/monitoring/rules/workload.ts): a crash
// looping container, repeated restarts and an unavailable replica, on either track.
import { CONTAINER, ksmPodLabels, NS, Target, targetLabels } from "../deployment";
import { gauge, gaugePhases, startingAt } from "../world";
import { at, expected, podLabels, scenario } from "./scenario";

/** Crash loop, restarts and an unavailable replica, on one track. */
export function trackScenarios(t: Target) {
    const who = `${t.track} ${t.job}`;
    const p0 = t.pods[0];
    return {
        crashLooping: scenario(
            `${who}: the first pod crash loops from minute 5 (restarts back off)`,
            40,
            (w) => {
                w.set(
                    "kube_pod_container_status_waiting_reason",
                    ksmPodLabels(t, 0, { reason: "CrashLoopBackOff" }),
                    startingAt(5, gauge(1, 35)),
                );
                w.set(
                    "kube_pod_container_status_restarts_total",
                    ksmPodLabels(t, 0),
                    gaugePhases([
                        [0, 4],
                        [1, 5],
                        [2, 7],
                        [3, 11],
                        [4, 19],
                        [5, 24],
                        [6, 29],
                        [7, 34],
                        [8, w.minutes],
                    ]),
                );
                w.set(
                    "up",
                    targetLabels(t, 0),
                    gaugePhases([
                        [1, 4],
                        [0, w.minutes],
                    ]),
                );
            },
            [
                at(
                    "30m",
                    "KlineAnalyticsPodCrashLooping",
                    expected(
                        "KlineAnalyticsPodCrashLooping",
                        "warning",
                        t,
                        podLabels(t),
                        "A kline-analytics container is crash looping.",
                        `Container ${CONTAINER} of pod ${NS}/${p0} has been in CrashLoopBackOff for 15 minutes.`,
                    ),
                ),
            ],
        ),
        restarting: scenario(
            `${who}: the first pod restarts at minutes 20, 35 and 50`,
            60,
            (w) =>
                w.set(
                    "kube_pod_container_status_restarts_total",
                    ksmPodLabels(t, 0),
                    gaugePhases([
                        [0, 19],
                        [1, 34],
                        [2, 49],
                        [3, w.minutes],
                    ]),
                ),
            [
                at(
                    "55m",
                    "KlineAnalyticsPodRestarting",
                    expected(
                        "KlineAnalyticsPodRestarting",
                        "info",
                        t,
                        podLabels(t),
                        "A kline-analytics container restarts repeatedly.",
                        `Container ${CONTAINER} of pod ${NS}/${p0} restarted 3 times in the last hour (threshold 2).`,
                    ),
                ),
            ],
        ),
        replicasUnavailable: scenario(
            `${who}: one replica becomes unavailable at minute 10`,
            40,
            (w) => {
                const d = { namespace: NS, deployment: t.deployment, job: "kube-state-metrics", instance: "10.0.9.20:8080" };
                w.set(
                    "kube_deployment_status_replicas_available",
                    d,
                    gaugePhases([
                        [t.pods.length, 9],
                        [t.pods.length - 1, w.minutes],
                    ]),
                );
            },
            [
                at(
                    "30m",
                    "KlineAnalyticsReplicasUnavailable",
                    expected(
                        "KlineAnalyticsReplicasUnavailable",
                        "warning",
                        t,
                        { namespace: NS, deployment: t.deployment },
                        "kline-analytics runs with fewer replicas than desired.",
                        `Deployment ${NS}/${t.deployment} has had 1 of its desired replicas unavailable for 15 minutes.`,
                    ),
                ),
            ],
        ),
    };
}
