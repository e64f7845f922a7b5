// promtool scenarios of the availability alerts (components/monitoring/rules/availability.ts):
// targets down or absent, a high 5xx ratio, a slow p95, and the SLO burn rates — slow, fast, and
// a fast burn that has stopped (the pages clear with the short windows, the tickets stay).
import { Buckets, HEALTHY_HTTP, NS, setHttp, STABLE, Target, targetLabels } from "../deployment";
import { gaugePhases, World } from "../world";
import { at, Check, expected, ExpectedAlert, jobLabels, Part, scenario } from "./scenario";

/** KlineAnalyticsDown of the track's scrape job. */
function down(t: Target): ExpectedAlert {
    return expected(
        "KlineAnalyticsDown",
        "critical",
        t,
        { namespace: NS, job: t.job },
        "kline-analytics is down.",
        `No kline-analytics target of job ${t.job} in namespace ${NS} has been scraped successfully for 2 minutes: the service is down or unreachable for Prometheus.`,
    );
}

/** Down, 5xx ratio and p95 response time, on one track. */
export function trackScenarios(t: Target) {
    const who = `${t.track} ${t.job}`;
    return {
        down: scenario(
            `${who}: every pod stops answering scrapes at minute 10`,
            30,
            (w) =>
                t.pods.forEach((_, i) =>
                    w.set(
                        "up",
                        targetLabels(t, i),
                        gaugePhases([
                            [1, 10],
                            [0, w.minutes],
                        ]),
                    ),
                ),
            [at("20m", "KlineAnalyticsDown", down(t))],
        ),
        errorRate: scenario(
            `${who}: 8% of requests answer 500`,
            30,
            (w) => t.pods.forEach((_, i) => setHttp(w, t, i, [{ until: w.minutes, errors: 576, buckets: HEALTHY_HTTP }])),
            [
                at(
                    "20m",
                    "KlineAnalyticsHighErrorRate",
                    expected(
                        "KlineAnalyticsHighErrorRate",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics answers many requests with 5xx.",
                        `8% of the HTTP requests to ${t.job} in ${NS} failed with a 5xx status over the last 5 minutes (threshold 5%).`,
                    ),
                ),
            ],
        ),
        responseTime: scenario(
            `${who}: half of the requests take over a second (p95 2.35 s)`,
            30,
            (w) => {
                const slow: Buckets = { "0.05": 0.1, "0.1": 0.17, "0.25": 0.25, "0.5": 0.33, "1.0": 0.5, "2.5": 1, "+Inf": 1 };
                t.pods.forEach((_, i) => setHttp(w, t, i, [{ until: w.minutes, errors: 4, buckets: slow }]));
            },
            [
                at(
                    "25m",
                    "KlineAnalyticsHighResponseTime",
                    expected(
                        "KlineAnalyticsHighResponseTime",
                        "warning",
                        t,
                        jobLabels(t),
                        "kline-analytics responds slowly.",
                        `The 95th percentile HTTP response time of ${t.job} in ${NS} is 2.35s (threshold 1s).`,
                    ),
                ),
            ],
        ),
    };
}

/** Production only: no target to scrape at all. */
export function stableScenarios() {
    const t = STABLE;
    return {
        absent: scenario("stable: no ServiceMonitor target at all (absent up)", 20, (w) => w.remove("up", { job: t.job }), [
            at("10m", "KlineAnalyticsDown", down(t)),
        ]),
    };
}

const SLOW_2PCT: Buckets = { "0.05": 0.7, "0.1": 0.83, "0.25": 0.95, "0.5": 0.98, "1.0": 0.995, "2.5": 1, "+Inf": 1 };
const SLOW_20PCT: Buckets = { "0.05": 0.4, "0.1": 0.55, "0.25": 0.7, "0.5": 0.8, "1.0": 0.95, "2.5": 1, "+Inf": 1 };

function burn(kind: "Availability" | "Latency", severity: string, long: string, short: string, value: string): ExpectedAlert {
    const factor = { "1h": "14.4", "6h": "6", "1d": "3", "3d": "1" }[long];
    const labels = { ...jobLabels(STABLE), long_window: long, short_window: short };
    const over = `over the last ${long} (and still over the last ${short})`;
    const [summary, description] =
        kind === "Availability"
            ? [
                  "kline-analytics is burning its availability error budget too fast.",
                  `${STABLE.job} in ${NS} answered ${value} of requests with 5xx ${over}: ${factor}x the error budget of the 99.9% availability objective.`,
              ]
            : [
                  "kline-analytics is burning its latency error budget too fast.",
                  `${value} of the requests to ${STABLE.job} in ${NS} took longer than 0.5s ${over}: ${factor}x the budget of the 99% latency objective.`,
              ];
    return expected(`KlineAnalytics${kind}BudgetBurn`, severity, STABLE, labels, summary, description);
}

/**
 * The two checks of one moment of a burn: both budget alerts fire at `time` for exactly these
 * windows, the availability one at `errors` (share of 5xx), the latency one at `slow` (share over 0.5 s).
 */
function burning(time: string, severity: string, windows: Array<[long: string, short: string]>, errors: string, slow: string): Check[] {
    return [
        at(time, "KlineAnalyticsAvailabilityBudgetBurn", ...windows.map(([l, s]) => burn("Availability", severity, l, s, errors))),
        at(time, "KlineAnalyticsLatencyBudgetBurn", ...windows.map(([l, s]) => burn("Latency", severity, l, s, slow))),
    ];
}

/** The SLO burn rates (stable only): a slow burn, a fast burn, and a fast burn that has stopped. */
export function sloScenarios(): Part[] {
    const traffic = (phases: Array<{ until: number; errors: number; buckets: Buckets }>) => (w: World) =>
        STABLE.pods.forEach((_, i) => setHttp(w, STABLE, i, phases));
    return [
        scenario(
            "stable: slow burn — 0.2% errors and 2% of requests over 0.5 s for 3.5 hours",
            215,
            traffic([{ until: 215, errors: 14.4, buckets: SLOW_2PCT }]),
            burning("210m", "warning", [["3d", "6h"]], "0.2%", "2%"),
            "10m",
        ),
        scenario(
            "stable: fast burn — 5% errors and 20% of requests over 0.5 s: the 1h/5m page within minutes, 6h/30m after its 15m",
            35,
            traffic([{ until: 35, errors: 360, buckets: SLOW_20PCT }]),
            [
                ...burning("10m", "critical", [["1h", "5m"]], "5%", "20%"),
                ...burning(
                    "30m",
                    "critical",
                    [
                        ["1h", "5m"],
                        ["6h", "30m"],
                    ],
                    "5%",
                    "20%",
                ),
            ],
        ),
        // 205 minutes of fast burn, then 35 healthy minutes: the short windows (5m, 30m) are clean, so
        // the pages resolve at once although the 1h window is still over budget (2.1%); the slow-burn
        // tickets (1d/2h, 3d/6h) stay. Values over all 240 minutes: errors (205*360 + 35*4) / (240*7200)
        // = 4.279%; slow (205*5632*0.2 + 35*5988*0.002) / (205*5632 + 35*5988) = 16.96%.
        scenario(
            "stable: recovered burn — the pages clear with the short windows, the tickets stay",
            240,
            traffic([
                { until: 205, errors: 360, buckets: SLOW_20PCT },
                { until: 240, errors: 4, buckets: HEALTHY_HTTP },
            ]),
            burning(
                "240m",
                "warning",
                [
                    ["1d", "2h"],
                    ["3d", "6h"],
                ],
                "4.279%",
                "16.96%",
            ),
            "10m",
        ),
    ];
}
