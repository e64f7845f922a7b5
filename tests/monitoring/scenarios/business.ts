// promtool scenarios of the business alerts (components/monitoring/rules/business.ts): a slow
// matching engine (p95 and p99), failing OCR and segmentation requests on either track, and on
// production few signals and no orders.
import { appLabels, Buckets, ENGINE_LE, NS, setEngine, setRequests, STABLE, Target } from "../deployment";
import { counterPhases, World } from "../world";
import { at, expected, jobLabels, Part, scenario } from "./scenario";

/** Matching-engine buckets from the cumulative share of orders at each bound of ENGINE_LE. */
function engineBuckets(shares: number[]): Buckets {
    return Object.fromEntries(ENGINE_LE.map((le, i) => [le, shares[i]]));
}

/** A quarter of the track's `kind` requests fail: `total` a minute per pod, `errors` of them failing. */
function requestsFailing(
    t: Target,
    kind: "ocr" | "segmentation",
    what: string,
    alertname: string,
    summary: string,
    total: number,
    errors: number,
): Part {
    const description = `25% of the ${what} requests of ${t.job} in ${NS} failed over the last 5 minutes (threshold 10%).`;
    return scenario(
        `${t.track} ${t.job}: a quarter of the ${what} requests fail`,
        30,
        (w) => t.pods.forEach((_, i) => setRequests(w, kind, t, i, total, errors)),
        [at("20m", alertname, expected(alertname, "warning", t, jobLabels(t), summary, description))],
    );
}

/** Matching-engine latency and OCR / segmentation errors, on one track. */
export function trackScenarios(t: Target) {
    const who = `${t.track} ${t.job}`;
    /** Every pod's matching engine answers with these cumulative bucket shares (see engineBuckets). */
    const engine = (shares: number[]) => (w: World) => t.pods.forEach((_, i) => setEngine(w, t, i, engineBuckets(shares)));
    return {
        orderProcessing: scenario(
            `${who}: the matching engine's p95 rises to 450 ms`,
            30,
            engine([0.08, 0.17, 0.25, 0.33, 0.5, 0.75, 1, 1, 1, 1]),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighOrderProcessingTime",
                    expected(
                        "KlineAnalyticsHighOrderProcessingTime",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics takes long to process orders.",
                        `The 95th percentile time the matching engine of ${t.job} in ${NS} takes per order is 450ms (threshold 0.25s).`,
                    ),
                ),
            ],
        ),
        matchingEngine: scenario(
            `${who}: the matching engine's p99 rises to 2.41 s`,
            30,
            engine([0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.75, 0.8333, 1, 1]),
            [
                at(
                    "15m",
                    "KlineAnalyticsMatchingEngineHighLatency",
                    expected(
                        "KlineAnalyticsMatchingEngineHighLatency",
                        "critical",
                        t,
                        jobLabels(t),
                        "The kline-analytics matching engine is very slow.",
                        `The 99th percentile matching-engine time of ${t.job} in ${NS} is 2.41s (threshold 1s): orders queue up.`,
                    ),
                ),
            ],
        ),
        ocr: requestsFailing(t, "ocr", "OCR", "KlineAnalyticsOCRHighErrorRate", "Many kline-analytics OCR requests fail.", 45, 15),
        segmentation: requestsFailing(
            t,
            "segmentation",
            "segmentation",
            "KlineAnalyticsSegmentationHighErrorRate",
            "Many kline-analytics chart segmentation requests fail.",
            90,
            30,
        ),
    };
}

/** Production only: signal and order volume. */
export function stableScenarios() {
    const t = STABLE;
    return {
        signals: scenario(
            "stable: signal generation drops to 0.5 per second from minute 5",
            40,
            (w) =>
                t.pods.forEach((_, i) =>
                    w.set(
                        "kline_analytics_signals_generated_total",
                        appLabels(t, i),
                        counterPhases([
                            [600, 5],
                            [10, w.minutes],
                        ]),
                    ),
                ),
            [
                at(
                    "35m",
                    "KlineAnalyticsLowSignalGeneration",
                    expected(
                        "KlineAnalyticsLowSignalGeneration",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics generates few trading signals.",
                        `${t.job} in ${NS} generated 0.50 signals per second over the last 5 minutes (minimum 1/s).`,
                    ),
                ),
            ],
        ),
        orders: scenario(
            "stable: no order is processed from minute 5",
            50,
            (w) =>
                t.pods.forEach((_, i) =>
                    w.set(
                        "kline_analytics_orders_processed_total",
                        appLabels(t, i),
                        counterPhases([
                            [1200, 5],
                            [0, w.minutes],
                        ]),
                    ),
                ),
            [
                at(
                    "45m",
                    "KlineAnalyticsNoOrdersProcessed",
                    expected(
                        "KlineAnalyticsNoOrdersProcessed",
                        "info",
                        t,
                        jobLabels(t),
                        "kline-analytics has processed no orders for 30 minutes.",
                        `${t.job} in ${NS} has processed no orders for 30 minutes while it is being scraped.`,
                    ),
                ),
            ],
        ),
    };
}
