// PromQL building blocks shared by every area's alerts: the `promql` template tag that lets an
// expression be written as an indented multi-line block (the way it reads in the Prometheus UI),
// label selectors, the matchers that pick one track's series, and the ratio and quantile shapes
// the recording rules repeat.
import { RuleParams } from "./types";

const SLOT = "\u0000";

/**
 * A PromQL expression written as an indented multi-line template literal:
 *
 *     promql`
 *         sum by (namespace, job) (up${up}) == 0
 *         or
 *         absent(up${up})
 *     `
 *
 * becomes `sum by (namespace, job) (up{...}) == 0\nor\nabsent(up{...})`: the first and last lines
 * (which must be blank) are dropped, the smallest indentation of the other lines is removed from
 * each, trailing spaces are cut and the lines are joined with `\n`. The literal's own text alone
 * decides the indentation. An interpolated value is inserted as it is, except that a multi-line
 * value that starts its line (only indentation before it) has its following lines indented like
 * its first, so one expression can be nested in another. A literal without a newline is returned
 * unchanged. Indentation must be spaces.
 */
export function promql(strings: TemplateStringsArray, ...values: unknown[]): string {
    if (strings.some((s) => s.includes(SLOT))) throw new Error("promql: the expression contains a NUL character");
    const text = strings.join(SLOT);
    if (!text.includes("\n")) return fill(text, values);
    const lines = text.split("\n");
    const first = lines.shift() as string;
    const last = lines.pop() as string;
    if (first.trim() !== "") throw new Error(`promql: start the expression on the line after the backtick, not on '${first.trim()}'`);
    if (last.trim() !== "")
        throw new Error(`promql: end the expression with the backtick on a line of its own, not after '${last.trim()}'`);
    const body = lines.filter((l) => l.trim() !== "");
    if (body.length === 0) throw new Error("promql: the expression is empty");
    if (body.some((l) => /^ *\t/.test(l))) throw new Error("promql: indent the expression with spaces, not tabs");
    const indent = Math.min(...body.map((l) => l.length - l.trimStart().length));
    return fill(lines.map((l) => l.slice(indent).trimEnd()).join("\n"), values);
}

function fill(text: string, values: unknown[]): string {
    const parts = text.split(SLOT);
    return parts.reduce((out, part, i) => {
        const value = String(values[i - 1]);
        const indent = /(?:^|\n)( *)$/.exec(out);
        const nested = indent && value.includes("\n") ? value.replace(/\n(?!\n|$)/g, `\n${indent[1]}`) : value;
        return out + nested + part;
    });
}

export const BY_JOB = "namespace, job, track";
export const BY_POD = "namespace, pod, track";

/** A label selector; a value starting with `=~`, `!=` or `!~` uses that operator instead of `=`. */
export function sel(matchers: Record<string, string>): string {
    return `{${Object.entries(matchers)
        .map(([k, v]) =>
            v.startsWith("=~") || v.startsWith("!=") || v.startsWith("!~") ? `${k}${v.slice(0, 2)}"${v.slice(2)}"` : `${k}="${v}"`,
        )
        .join(", ")}}`;
}

/** Ratio of `num` over `den` per group, 0 (not empty) when `num` has no series yet. */
export function ratio(by: string, num: string, den: string): string {
    return promql`
        (sum by (${by}) (${num}) or 0 * sum by (${by}) (${den}))
        /
        sum by (${by}) (${den})
    `;
}

export function quantile(q: number, bucket: string, ns: string): string {
    return promql`histogram_quantile(${q}, sum by (${BY_JOB}, le) (rate(${bucket}{namespace="${ns}"}[5m])))`;
}

/**
 * The `le` label value of a bucket bound as the Prometheus Java client (Micrometer) writes it:
 * Go-style float formatting, so 0.5 -> "0.5" and 1 -> "1.0".
 */
export function leLabel(seconds: number): string {
    return Number.isInteger(seconds) ? `${seconds}.0` : String(seconds);
}

/** Matchers that pick one track's series of the app's own metrics (which carry `track`). */
export function trackSel(p: RuleParams): Record<string, string> {
    return { namespace: p.namespace, track: p.track === "canary" ? "canary" : "!=canary" };
}

/** kube-state-metrics and cAdvisor have no `track`: the track's pods are picked by name. */
export function podSel(p: RuleParams, extra: Record<string, string> = {}): string {
    return sel({ namespace: p.namespace, ...extra, pod: `=~${p.deployment}-[a-z0-9]+-[a-z0-9]+` });
}
