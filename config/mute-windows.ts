// Planned windows in which Alertmanager mutes routes (the muteWindows key): parsed and checked
// here; components/monitoring/alertmanager.ts turns them into time_intervals.
import { MuteWindowConfig } from "./types";
import { Parsed } from "./validate";

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** Problems of a list of mute windows (empty when valid); also checked by the Alertmanager config builder. */
export function muteWindowProblems(windows: MuteWindowConfig[]): string[] {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const w of windows) {
        const where = `mute window '${w.name}'`;
        if (!/^[a-z0-9][a-z0-9-]*$/.test(w.name)) problems.push(`${where}: the name must be lower-case letters, digits and '-'`);
        if (seen.has(w.name)) problems.push(`${where} is defined twice`);
        seen.add(w.name);
        if (w.routes.length === 0) problems.push(`${where} mutes no route: list some of critical, warning, canary`);
        if (w.timeIntervals.length === 0) problems.push(`${where} has no time interval`);
        for (const ti of w.timeIntervals) {
            for (const r of ti.times ?? []) {
                for (const t of [r.start_time, r.end_time]) {
                    if (!/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/.test(t)) problems.push(`${where}: time '${t}' must be HH:MM (00:00-24:00)`);
                }
                if (r.start_time >= r.end_time) problems.push(`${where}: start_time ${r.start_time} must be before end_time ${r.end_time}`);
            }
            for (const d of ti.weekdays ?? []) {
                if (!d.split(":").every((x) => WEEKDAYS.includes(x)))
                    problems.push(`${where}: weekday '${d}' must be a day name or range such as monday:friday`);
            }
        }
    }
    return problems;
}

/** The muteWindows key: a JSON array of windows (Pulumi.yaml cannot declare objects). */
export function parseMuteWindows(value: string): Parsed<MuteWindowConfig[]> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch (err) {
        return { ok: false, reason: `a JSON array is expected (${(err as Error).message})` };
    }
    if (!Array.isArray(parsed)) return { ok: false, reason: "a JSON array of windows is expected" };
    for (const [i, w] of parsed.entries()) {
        if (
            typeof w !== "object" ||
            w === null ||
            typeof w.name !== "string" ||
            !Array.isArray(w.routes) ||
            !Array.isArray(w.timeIntervals)
        ) {
            return { ok: false, reason: `window ${i} must be {"name": ..., "routes": [...], "timeIntervals": [...]}` };
        }
        const badRoute = w.routes.find((r: unknown) => !["critical", "warning", "canary"].includes(r as string));
        if (badRoute !== undefined)
            return { ok: false, reason: `window '${w.name}': route '${badRoute}' is not one of critical, warning, canary` };
    }
    const problems = muteWindowProblems(parsed as MuteWindowConfig[]);
    return problems.length > 0 ? { ok: false, reason: problems.join("; ") } : { ok: true, value: parsed as MuteWindowConfig[] };
}
