// promtool scenarios of the resource alerts (components/monitoring/rules/resources.ts): a full
// JVM heap, CPU near its limit, long GC pauses, many short GC pauses, a working set near the
// memory limit and CPU throttling, on either track.
import { cadvisorLabels, NS, setCpu, setGc, setHeap, Target } from "../deployment";
import { gauge } from "../world";
import { at, expected, scenario } from "./scenario";

/** Heap, CPU, GC and memory-limit failures of the track's first pod. */
export function trackScenarios(t: Target) {
    const who = `${t.track} ${t.job}`;
    const p0 = t.pods[0];
    return {
        heap: scenario(
            `${who}: the first pod's old generation fills the heap to 93.75%`,
            30,
            (w) => setHeap(w, t, 0, t.heapMaxMiB * 0.9375 - 220 * (t.heapMaxMiB / 2048)),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighMemoryUsage",
                    expected(
                        "KlineAnalyticsHighMemoryUsage",
                        "warning",
                        t,
                        { namespace: NS, pod: p0, track: t.track },
                        "kline-analytics uses most of its JVM heap.",
                        `Pod ${NS}/${p0} uses 93.75% of its maximum JVM heap (threshold 90%).`,
                    ),
                ),
            ],
        ),
        cpu: scenario(`${who}: the first pod burns 95% of its CPU limit`, 40, (w) => setCpu(w, t, 0, t.cpuLimitCores * 0.95), [
            at(
                "30m",
                "KlineAnalyticsHighCPUUsage",
                expected(
                    "KlineAnalyticsHighCPUUsage",
                    "warning",
                    t,
                    { namespace: NS, pod: p0 },
                    "kline-analytics uses most of its CPU limit.",
                    `Pod ${NS}/${p0} uses 95% of its CPU limit (threshold 90%).`,
                ),
            ),
        ]),
        gcPause: scenario(`${who}: the first pod's GC pauses average 800 ms`, 30, (w) => setGc(w, t, 0, 2, 0.8), [
            at(
                "20m",
                "KlineAnalyticsHighGCPause",
                expected(
                    "KlineAnalyticsHighGCPause",
                    "warning",
                    t,
                    { namespace: NS, pod: p0, track: t.track },
                    "kline-analytics spends long pauses in garbage collection.",
                    `The mean GC pause of pod ${NS}/${p0} is 800ms over the last 5 minutes (threshold 0.5s).`,
                ),
            ),
        ]),
        memoryLimit: scenario(
            `${who}: the first pod's working set reaches 97.5% of its memory limit`,
            40,
            (w) =>
                w.set("container_memory_working_set_bytes", cadvisorLabels(t, 0), gauge(Math.round(t.memoryLimitBytes * 0.975), w.minutes)),
            [
                at(
                    "30m",
                    "KlineAnalyticsContainerMemoryNearLimit",
                    expected(
                        "KlineAnalyticsContainerMemoryNearLimit",
                        "warning",
                        t,
                        { namespace: NS, pod: p0 },
                        "kline-analytics is close to its container memory limit.",
                        `Pod ${NS}/${p0} uses 97.5% of its memory limit (threshold 95%); the kernel OOM-kills it at 100%.`,
                    ),
                ),
            ],
        ),
        throttling: scenario(
            `${who}: the first pod is throttled in 30% of its CFS periods`,
            40,
            (w) => setCpu(w, t, 0, t.cpuLimitCores * 0.6, 0.3),
            [
                at(
                    "30m",
                    "KlineAnalyticsCPUThrottling",
                    expected(
                        "KlineAnalyticsCPUThrottling",
                        "info",
                        t,
                        { namespace: NS, pod: p0 },
                        "kline-analytics is CPU throttled.",
                        `Pod ${NS}/${p0} was throttled in 30% of its CPU periods over the last 5 minutes (threshold 25%).`,
                    ),
                ),
            ],
        ),
        gcTime: scenario(
            `${who}: the first pod pauses 60 times a minute for 150 ms each (15% of its time; the mean pause looks fine)`,
            30,
            (w) => setGc(w, t, 0, 60, 0.15),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighGCTime",
                    expected(
                        "KlineAnalyticsHighGCTime",
                        "warning",
                        t,
                        { namespace: NS, pod: p0, track: t.track },
                        "kline-analytics spends much of its time in garbage collection.",
                        `Pod ${NS}/${p0} spent 15% of its time in GC pauses over the last 5 minutes (threshold 10%).`,
                    ),
                ),
                at("20m", "KlineAnalyticsHighGCPause"),
            ],
        ),
    };
}
