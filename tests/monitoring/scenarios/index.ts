// promtool unit-test scenarios: for every alert, a realistic failure of the healthy deployment
// (tests/monitoring/deployment.ts) and the exact alerts expected — labels and annotations written
// out. Scenarios on the canary's pods expect only the canary's alert (labelled track=canary); the
// production alert of the same name must stay silent, or promtool reports it as unexpected.
//
// One file per rules file of components/monitoring/rules/ (availability, workload, resources,
// business, backup, probes, pipeline; the recording rules are exercised through the alerts that
// read them), shared helpers in scenario.ts; this file puts them into promtool test groups.
import { CANARY, STABLE, Target } from "../deployment";
import * as availability from "./availability";
import * as backup from "./backup";
import * as business from "./business";
import * as pipeline from "./pipeline";
import * as probes from "./probes";
import * as resources from "./resources";
import { combine, Part, Scenario } from "./scenario";
import * as workload from "./workload";

export { Check, ExpectedAlert, Scenario } from "./scenario";

/**
 * The failures both tracks have alerts for. The order decides which canary failure shares a test
 * group with which stable failure (fireScenarios); the GC-time scenario came last and stays last,
 * so the pairings of the others stay as they were.
 */
function trackScenarios(t: Target): Part[] {
    const a = availability.trackScenarios(t);
    const w = workload.trackScenarios(t);
    const r = resources.trackScenarios(t);
    const b = business.trackScenarios(t);
    return [
        a.down,
        a.errorRate,
        a.responseTime,
        w.crashLooping,
        w.restarting,
        w.replicasUnavailable,
        r.heap,
        r.cpu,
        r.gcPause,
        r.memoryLimit,
        r.throttling,
        b.orderProcessing,
        b.matchingEngine,
        b.ocr,
        b.segmentation,
        r.gcTime,
    ];
}

/**
 * Every fire scenario of the production rule set plus the canary rule set. Each stable failure
 * shares its test group with a different canary failure (two apart in the list, so no failure's
 * side effect — a crash loop's restarts, a stalled engine's p95 — lands on its partner's alert):
 * each check then proves both that its own track fires and that the other track's copy of the
 * alert stays silent.
 */
export function fireScenarios(): Scenario[] {
    const stable = trackScenarios(STABLE);
    const canary = trackScenarios(CANARY);
    const paired = stable.map((s, i) => combine(s, canary[(i + 2) % canary.length]));
    // Production-only failures touch disjoint series and raise no alert another one checks, so they
    // share groups.
    const { absent } = availability.stableScenarios();
    const { signals, orders } = business.stableScenarios();
    const bk = backup.stableScenarios();
    const probe = probes.stableScenarios();
    const pipe = pipeline.stableScenarios();
    return [
        ...paired,
        ...availability.sloScenarios().map((p) => combine(p)),
        combine(absent, signals, bk.jobFailed, probe.failed, probe.cert10, bk.scheduleMissed),
        combine(orders, probe.slow, bk.tooOld, probe.cert2, bk.suspended),
        combine(bk.neverSucceeded, bk.weekly, pipe.pagerdutyFailing),
        combine(bk.neverScheduled, pipe.slackFailing, pipe.ruleFailures, pipe.iterationsMissed),
    ];
}

/** The maintenance switch on: KlineAnalyticsMaintenanceMode fires at once (separate rules file). */
export function maintenanceScenario(): Scenario {
    return combine(pipeline.maintenanceScenario());
}

/**
 * Healthy production with a healthy canary, checked for silence at these times: the last is past
 * the longest `for` (3h, the 3d/6h burn-rate alert).
 */
export const HEALTHY_CHECK_TIMES = ["10m", "30m", "2h", "4h"];
export const HEALTHY_MINUTES = 4 * 60;
