// The shapes and helpers every area's promtool scenarios share: a scenario is a failure applied
// to the healthy deployment (tests/monitoring/deployment.ts) plus the exact alerts it must raise,
// labels and annotations written out; `combine` puts several failures into one promtool test group.
import { CONTAINER, healthyWorld, NS, RUNBOOK, Target } from "../deployment";
import { Labels, World } from "../world";

export interface ExpectedAlert {
    labels: Labels;
    annotations: { summary: string; description: string; runbook_url: string };
}

export interface Check {
    at: string;
    alertname: string;
    expect: ExpectedAlert[];
}

export interface Scenario {
    name: string;
    minutes: number;
    /** promtool's rule evaluation interval: "5m" by default, "10m" for the multi-hour timelines. */
    evaluationInterval: "5m" | "10m";
    build(): World;
    checks: Check[];
}

/** One failure: how it breaks the healthy deployment and which alerts it must raise. */
export interface Part {
    name: string;
    minutes: number;
    mutate: (w: World) => void;
    checks: Check[];
    evaluationInterval?: "10m";
}

export function expected(name: string, severity: string, t: Target, labels: Labels, summary: string, description: string): ExpectedAlert {
    const track: Labels = t.track === "canary" ? { track: "canary" } : {};
    return {
        labels: { severity, environment: t.environment, ...labels, ...track },
        annotations: { summary, description, runbook_url: `${RUNBOOK}#${name.toLowerCase()}` },
    };
}

/** A failure that `mutate` applies to the healthy deployment (series written for `w.minutes`). */
export function scenario(name: string, minutes: number, mutate: (w: World) => void, checks: Check[], evaluationInterval?: "10m"): Part {
    return { name, minutes, mutate, checks, evaluationInterval };
}

/** One promtool test group: the healthy deployment with every part's failure applied. */
export function combine(...parts: Part[]): Scenario {
    const minutes = Math.max(...parts.map((p) => p.minutes));
    return {
        name: parts.map((p) => p.name).join(" + "),
        minutes,
        evaluationInterval: parts.some((p) => p.evaluationInterval) ? "10m" : "5m",
        build: () => {
            const w = healthyWorld(minutes);
            for (const p of parts) p.mutate(w);
            return w;
        },
        checks: parts.flatMap((p) => p.checks),
    };
}

/** A check: at `time`, exactly these alerts of that name fire (none when `expect` is empty). */
export const at = (time: string, alertname: string, ...expect: ExpectedAlert[]): Check => ({ at: time, alertname, expect });
export const jobLabels = (t: Target) => ({ namespace: NS, job: t.job, track: t.track });
export const podLabels = (t: Target, i = 0) => ({ namespace: NS, pod: t.pods[i], container: CONTAINER });
