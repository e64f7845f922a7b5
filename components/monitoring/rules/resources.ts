// Resource alerts: JVM heap and garbage collection (pause length and share of time paused), CPU
// and container memory against their limits, and CPU throttling. Both tracks get them; JVM series
// carry `track`, cAdvisor's are picked by the track's pod names.
import { AlertFactory, pct } from "./alert";
import { podSel, promql, sel, trackSel } from "./promql";
import { REC } from "./recordings";
import { AlertingRule, RuleParams } from "./types";

export function resourceAlerts(p: RuleParams, f: AlertFactory): AlertingRule[] {
    const t = p.thresholds;
    const ts = sel(trackSel(p));
    const pods = podSel(p);
    const cc = podSel(p, { container: p.container });
    return [
        f.alert({
            name: "KlineAnalyticsHighMemoryUsage",
            severity: "warning",
            expr: promql`${REC.heapRatio}${ts} > ${t.heapUsedRatio}`,
            for: "10m",
            summary: "kline-analytics uses most of its JVM heap.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its maximum JVM heap (threshold ${pct(t.heapUsedRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsHighCPUUsage",
            severity: "warning",
            expr: promql`${REC.cpuRatio}${pods} > ${t.cpuLimitRatio}`,
            for: "15m",
            summary: "kline-analytics uses most of its CPU limit.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU limit (threshold ${pct(t.cpuLimitRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsHighGCPause",
            severity: "warning",
            expr: promql`${REC.gcAvgPause}${ts} > ${t.gcAvgPauseSeconds}`,
            for: "10m",
            summary: "kline-analytics spends long pauses in garbage collection.",
            description: `The mean GC pause of pod {{ $labels.namespace }}/{{ $labels.pod }} is {{ $value | humanizeDuration }} over the last 5 minutes (threshold ${t.gcAvgPauseSeconds}s).`,
        }),
        f.alert({
            // Many moderate pauses add up: the mean pause can look fine while the JVM stands still
            // for a large share of the time (seconds of pause per second = share of wall time).
            name: "KlineAnalyticsHighGCTime",
            severity: "warning",
            expr: promql`${REC.gcTimeShare}${ts} > ${t.gcTimeRatio}`,
            for: "10m",
            summary: "kline-analytics spends much of its time in garbage collection.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} spent {{ $value | humanizePercentage }} of its time in GC pauses over the last 5 minutes (threshold ${pct(t.gcTimeRatio)}).`,
        }),
        f.alert({
            name: "KlineAnalyticsContainerMemoryNearLimit",
            severity: "warning",
            expr: promql`${REC.memoryRatio}${pods} > ${t.containerMemoryLimitRatio}`,
            for: "15m",
            summary: "kline-analytics is close to its container memory limit.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit (threshold ${pct(t.containerMemoryLimitRatio)}); the kernel OOM-kills it at 100%.`,
        }),
        f.alert({
            name: "KlineAnalyticsCPUThrottling",
            severity: "info",
            expr: promql`
                sum by (namespace, pod) (increase(container_cpu_cfs_throttled_periods_total${cc}[5m]))
                /
                sum by (namespace, pod) (increase(container_cpu_cfs_periods_total${cc}[5m]))
                > ${t.cpuThrottledRatio}
            `,
            for: "15m",
            summary: "kline-analytics is CPU throttled.",
            description: `Pod {{ $labels.namespace }}/{{ $labels.pod }} was throttled in {{ $value | humanizePercentage }} of its CPU periods over the last 5 minutes (threshold ${pct(t.cpuThrottledRatio)}).`,
        }),
    ];
}
