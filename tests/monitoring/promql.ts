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
