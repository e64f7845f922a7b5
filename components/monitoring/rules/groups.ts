// How one track's rule set is put together from the areas: the recording groups (stable only),
// then one alert group per area — availability, workload, resources, business for both tracks;
// backup, PITR, probe, pipeline and maintenance for the stable track when the stack has them.
import { AlertFactory } from "./alert";
import { availabilityAlerts } from "./availability";
import { backupAlerts, pitrAlerts } from "./backup";
import { businessAlerts } from "./business";
import { maintenanceAlert, pipelineAlerts } from "./pipeline";
import { probeAlerts } from "./probes";
import { recordingGroups } from "./recordings";
import { resourceAlerts } from "./resources";
import { GROUP_PREFIX, RuleGroup, RuleParams } from "./types";
import { validateParams } from "./validate";
import { workloadAlerts } from "./workload";

/** Alert groups of one track. */
export function alertGroups(p: RuleParams): RuleGroup[] {
    const f = new AlertFactory(p);
    const prefix = `${GROUP_PREFIX}.${p.track}`;
    const groups: RuleGroup[] = [
        { name: `${prefix}.availability`, rules: availabilityAlerts(p, f) },
        { name: `${prefix}.workload`, rules: workloadAlerts(p, f) },
        { name: `${prefix}.resources`, rules: resourceAlerts(p, f) },
        { name: `${prefix}.business`, rules: businessAlerts(p, f) },
    ];
    if (p.track === "stable") {
        if (p.backupCronJob) groups.push({ name: `${prefix}.backup`, rules: backupAlerts(p, f, p.backupCronJob) });
        if (p.pitr) groups.push({ name: `${prefix}.pitr`, rules: pitrAlerts(p, f, p.pitr) });
        if (p.probeJob) groups.push({ name: `${prefix}.probe`, rules: probeAlerts(p, f, p.probeJob) });
        if (p.selfMonitoring) groups.push({ name: `${prefix}.pipeline`, rules: pipelineAlerts(f, p.selfMonitoring) });
        groups.push({ name: `${prefix}.maintenance`, rules: [maintenanceAlert(p, f)] });
    }
    return groups;
}

/**
 * Every rule group of a track's PrometheusRule: the stable set owns the recording rules (the
 * canary's alerts read the same recorded series, filtered by `track="canary"`).
 */
export function buildRuleGroups(p: RuleParams): RuleGroup[] {
    validateParams(p);
    return p.track === "stable" ? [...recordingGroups(p), ...alertGroups(p)] : alertGroups(p);
}
