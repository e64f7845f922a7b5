// Reads PromQL with Prometheus' own grammar (@prometheus-io/lezer-promql, the parser of the
// Prometheus UI) to list the metric names an expression selects. Validity is still judged by
// promtool; this only answers "which series does it read".
import { parser } from "@prometheus-io/lezer-promql";

export interface ParsedQuery {
    metrics: string[];
    /** Text around each syntax error the grammar found (empty when the query parses). */
    errors: string[];
}

export function parsePromQL(expr: string): ParsedQuery {
    const tree = parser.parse(expr);
    const metrics = new Set<string>();
    const errors: string[] = [];
    const cursor = tree.cursor();
    do {
        const node = cursor.node;
        if (node.type.isError) errors.push(`at ${node.from}: '${expr.slice(Math.max(0, node.from - 10), node.to + 10)}'`);
        if (node.name === "VectorSelector") {
            const id = node.getChild("Identifier");
            if (id) metrics.add(expr.slice(id.from, id.to));
        }
    } while (cursor.next());
    return { metrics: [...metrics].sort(), errors };
}

export interface Selector {
    metric: string;
    matchers: { label: string; op: string; value: string }[];
}

/** Every vector selector of an expression, with its label matchers. */
export function selectorsOf(expr: string): Selector[] {
    const out: Selector[] = [];
    const cursor = parser.parse(expr).cursor();
    do {
        const node = cursor.node;
        if (node.name !== "VectorSelector") continue;
        const id = node.getChild("Identifier");
        const matchers: Selector["matchers"] = [];
        for (const m of node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
            const text = (n: string) => {
                const c = m.getChild(n);
                return c ? expr.slice(c.from, c.to) : "";
            };
            matchers.push({ label: text("LabelName"), op: text("MatchOp"), value: JSON.parse(text("StringLiteral")) });
        }
        out.push({ metric: id ? expr.slice(id.from, id.to) : "", matchers });
    } while (cursor.next());
    return out;
}

/** Every aggregation's grouping labels (`by`/`without`), with the metrics its operand selects. */
export function groupingsOf(expr: string): { labels: string[]; metrics: string[] }[] {
    const out: { labels: string[]; metrics: string[] }[] = [];
    const cursor = parser.parse(expr).cursor();
    do {
        const node = cursor.node;
        if (node.name !== "AggregateExpr") continue;
        const labels = (node.getChild("AggregateModifier")?.getChild("GroupingLabels")?.getChildren("LabelName") ?? []).map((l) =>
            expr.slice(l.from, l.to),
        );
        const body = node.getChild("FunctionCallBody");
        out.push({ labels, metrics: body ? parsePromQL(expr.slice(body.from, body.to)).metrics : [] });
    } while (cursor.next());
    return out;
}
