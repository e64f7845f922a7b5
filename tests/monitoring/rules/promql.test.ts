// The `promql` template tag: an indented multi-line block becomes the exact expression string the
// rule files carry (indentation, first and last line removed; interpolations inserted as they are).
import { strict as assert } from "assert";
import { ruleParamsFor } from "../../../components/monitoring/params";
import { buildRuleGroups, promql } from "../../../components/monitoring/rules";
import { CANARY, ruleTarget, STABLE } from "../deployment";

describe("monitoring rules: the promql template tag", function () {
    it("removes the common indentation and the blank first and last lines, keeping relative indentation", function () {
        const expr = promql`
            max by (namespace, pod) (
              max_over_time(up[5m])
            ) >= 1
        `;
        assert.equal(expr, "max by (namespace, pod) (\n  max_over_time(up[5m])\n) >= 1");
    });

    it("takes the indentation from the literal's text only: interpolated values are inserted as they are", function () {
        const sel = '{namespace="ns", job="app"}';
        const tail = "unless on (job)\n    other";
        const expr = promql`
            sum by (job) (up${sel}) == 0
            or
            absent(up${sel})
            ${tail}
        `;
        assert.equal(expr, `sum by (job) (up${sel}) == 0\nor\nabsent(up${sel})\nunless on (job)\n    other`);
    });

    it("indents a nested multi-line expression like the line it starts, and only then", function () {
        const inner = promql`
            time() - last
            or
            time() - created
        `;
        const nested = promql`
            (
              (
                ${inner}
              ) > 3600
            )
        `;
        assert.equal(nested, "(\n  (\n    time() - last\n    or\n    time() - created\n  ) > 3600\n)");
        const inline = promql`
            x + ${inner}
        `;
        assert.equal(inline, "x + time() - last\nor\ntime() - created");
        const blankLines = "a\n\nb\n";
        const withBlank = promql`
            (
              ${blankLines}
            )
        `;
        assert.equal(withBlank, "(\n  a\n\n  b\n\n)");
    });

    it("writes numbers as template literals do", function () {
        assert.equal(promql`x > ${0.05} * ${14.4} and y < ${1}`, "x > 0.05 * 14.4 and y < 1");
    });

    it("returns a one-line literal unchanged, spaces included", function () {
        assert.equal(promql`  rate(x[5m]) `, "  rate(x[5m]) ");
        assert.equal(promql``, "");
    });

    it("keeps blank lines inside the expression as empty lines and cuts trailing spaces", function () {
        // Built by hand: editors strip trailing spaces from source lines.
        const text = "\n    a   \n      \n    b\n  ";
        assert.equal(promql(Object.assign([text], { raw: [text] })), "a\n\nb");
    });

    it("refuses text on the first or last line, tab indentation and an empty block", function () {
        assert.throws(
            () => promql`up
            == 0
        `,
            /start the expression on the line after the backtick, not on 'up'/,
        );
        assert.throws(
            () => promql`
            up == 0`,
            /end the expression with the backtick on a line of its own, not after 'up == 0'/,
        );
        assert.throws(
            () => promql`
\t\tup == 0
        `,
            /indent the expression with spaces, not tabs/,
        );
        assert.throws(
            () => promql`

        `,
            /the expression is empty/,
        );
    });

    it("every rendered rule expression is trimmed: no indentation left over, no trailing spaces", function () {
        let multiLine = 0;
        for (const t of [STABLE, CANARY]) {
            for (const g of buildRuleGroups(ruleParamsFor(ruleTarget(t)))) {
                for (const r of g.rules) {
                    const where = `${g.name}: ${"alert" in r ? r.alert : r.record}`;
                    assert.equal(r.expr, r.expr.trim(), where);
                    for (const line of r.expr.split("\n")) assert.equal(line, line.trimEnd(), `${where}: '${line}'`);
                    if (r.expr.includes("\n")) multiLine++;
                }
            }
        }
        assert.ok(multiLine >= 20, `only ${multiLine} multi-line expressions`);
    });
});
