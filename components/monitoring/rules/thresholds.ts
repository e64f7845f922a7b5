// The alert thresholds (one number per alert that compares against a limit), read by every
// area's alerts. Their values per environment are decided by the config module
// (config/environments.ts); the SLO targets are in slo.ts.
import { AlertThresholds } from "../../../config/types";

/** The alert thresholds, decided per environment by the config module (config/environments.ts). */
export type Thresholds = AlertThresholds;
