// Service-level objectives: the availability and latency targets, and the SRE-workbook windows
// the burn-rate alerts (availability.ts) and the recorded ratios (recordings.ts) use.

export interface SloTargets {
    /** Share of requests that must not answer 5xx, e.g. 0.999. */
    availability: number;
    /** Share of requests that must finish within `thresholdSeconds`, e.g. 0.99 within 0.5 s. */
    latency: { objective: number; thresholdSeconds: number };
}

export const DEFAULT_SLO: SloTargets = { availability: 0.999, latency: { objective: 0.99, thresholdSeconds: 0.5 } };

/** SRE-workbook multiwindow, multi-burn-rate windows (kubernetes-mixin's `for` durations). */
export const BURN_RATE_WINDOWS = [
    { long: "1h", short: "5m", factor: 14.4, severity: "critical", for: "2m" },
    { long: "6h", short: "30m", factor: 6, severity: "critical", for: "15m" },
    { long: "1d", short: "2h", factor: 3, severity: "warning", for: "1h" },
    { long: "3d", short: "6h", factor: 1, severity: "warning", for: "3h" },
] as const;

/** Every window a ratio is recorded for: the burn-rate windows plus the 5m used elsewhere. */
export const RATIO_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;
