// Builds the input series of promtool unit tests: a healthy kline-analytics deployment as the
// exporters would show it (app metrics through the ServiceMonitor, kube-state-metrics, cAdvisor,
// blackbox), one sample per minute, which a scenario then breaks in one specific way.
//
// promtool's clock starts at Unix time 0, so wall-clock gauges (CronJob times, certificate expiry)
// are written relative to the start of the test: "-3600" is "an hour before the test began".

export type Labels = Record<string, string>;

export interface InputSeries {
    series: string;
    values: string;
}

/** Number formatting for promtool's expanding notation (no float noise such as 0.30000000000000004). */
function num(v: number): string {
    return String(+v.toFixed(6));
}

/** A gauge holding `v` for the whole test (samples at minutes 0..minutes). */
export function gauge(v: number, minutes: number): string {
    return `${num(v)}x${minutes}`;
}

/** A gauge that holds each value until the given minute (inclusive), then the next. */
export function gaugePhases(phases: Array<[value: number, untilMinute: number]>): string {
    let prev = -1;
    return phases
        .map(([v, until]) => {
            const s = `${num(v)}x${until - prev - 1}`;
            prev = until;
            return s;
        })
        .join(" ");
}

/** A counter starting at 0 that grows by `perMinute` each minute. */
export function counter(perMinute: number, minutes: number): string {
    return `0+${num(perMinute)}x${minutes}`;
}

/** A counter whose per-minute growth changes: each phase lasts until the given minute (inclusive). */
export function counterPhases(phases: Array<[perMinute: number, untilMinute: number]>): string {
    let value = 0;
    let prev = 0;
    const parts: string[] = [];
    phases.forEach(([rate, until], i) => {
        if (i === 0) {
            parts.push(`0+${num(rate)}x${until}`);
            value = rate * until;
        } else {
            const steps = until - prev; // samples prev+1 .. until
            parts.push(`${num(value + rate)}+${num(rate)}x${steps - 1}`);
            value += rate * steps;
        }
        prev = until;
    });
    return parts.join(" ");
}

/** No sample until `fromMinute`, then `rest` (an expanding-notation string starting at that minute). */
export function startingAt(fromMinute: number, rest: string): string {
    return fromMinute === 0 ? rest : `_x${fromMinute} ${rest}`;
}

function seriesKey(name: string, labels: Labels): string {
    const body = Object.keys(labels)
        .sort()
        .map((k) => `${k}="${labels[k]}"`)
        .join(", ");
    return `${name}{${body}}`;
}

/** The set of input series of one test group; later writes of the same series replace earlier ones. */
export class World {
    private readonly series = new Map<string, InputSeries & { name: string; labels: Labels }>();

    constructor(public readonly minutes: number) {}

    set(name: string, labels: Labels, values: string): this {
        const key = seriesKey(name, labels);
        this.series.set(key, { series: key, values, name, labels });
        return this;
    }

    /** Drops every series of `name` whose labels include `match`. */
    remove(name: string, match: Labels = {}): this {
        for (const [key, s] of this.series) {
            if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) this.series.delete(key);
        }
        return this;
    }

    find(name: string, match: Labels = {}): Array<{ name: string; labels: Labels }> {
        return [...this.series.values()].filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
    }

    toInput(): InputSeries[] {
        return [...this.series.values()].map(({ series, values }) => ({ series, values }));
    }
}
