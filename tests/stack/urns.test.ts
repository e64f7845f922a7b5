// `pulumi up` matches a stack's state by URN (type, name and the chain of parent types). A URN that
// disappears means the engine deletes that resource and creates a new one: for the protected
// backup bucket a refused update, for everything else a needless replacement. tests/stack/urns.json
// records every URN each stack registers; each must still be registered, or be named by an alias of
// the resource that took its place. Re-record after adding resources:
//   KLINE_RECORD_URNS=1 npx mocha tests/stack/urns.test.ts
// (recorded URNs an alias still points to are kept, so removing that alias later fails here).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { RenderOptions } from "../../renderer";
import { RenderResult, STACKS, renderStack } from "../harness";

const FILE = path.join(__dirname, "urns.json");

/** Every stack file, the stacks whose database can run in the cluster with it there, and a restore. */
const VARIANTS: Array<{ key: string; stack: string; opts?: RenderOptions }> = [
    ...STACKS.map((stack) => ({ key: stack, stack })),
    ...["staging", "production"].map((stack) => ({ key: `${stack} dbInCluster`, stack, opts: { overrides: { dbInCluster: "true" } } })),
    // A requested restore adds its Job and ServiceAccount.
    {
        key: "production restoreBackupName",
        stack: "production",
        opts: { overrides: { restoreBackupName: "kline_analytics_backup_20261201_020000.dump.zst" } },
    },
];

/** Recorded URNs the render no longer registers and no alias stands for. */
function lostUrns(recorded: string[], render: Pick<RenderResult, "urns">): string[] {
    const reachable = new Set(render.urns.flatMap((u) => [u.urn, ...u.aliases]));
    return recorded.filter((urn) => !reachable.has(urn));
}

describe("stack: resource URNs stay (or are aliased)", function () {
    this.timeout(600_000);
    const record = process.env.KLINE_RECORD_URNS === "1";
    const recorded: Record<string, string[]> = record && !fs.existsSync(FILE) ? {} : JSON.parse(fs.readFileSync(FILE, "utf8"));
    const rendered: Record<string, string[]> = {};

    it("lostUrns counts a URN as kept when it is registered or an alias names it", () => {
        const render = {
            urns: [
                { urn: "urn:a", aliases: [] },
                { urn: "urn:b2", aliases: ["urn:b"] },
            ],
        };
        assert.deepEqual(lostUrns(["urn:a", "urn:b", "urn:c"], render), ["urn:c"]);
    });

    for (const v of VARIANTS) {
        it(`${v.key}: every recorded URN is still registered or aliased`, async () => {
            const render = await renderStack(v.stack, v.opts);
            rendered[v.key] = [...new Set(render.urns.map((u) => u.urn))].sort();
            const before = recorded[v.key] ?? [];
            if (!record) assert.ok(before.length > 0, `${FILE} records no URN of ${v.key}: record it (see the top of this file)`);
            const lost = lostUrns(before, render);
            assert.deepEqual(
                lost,
                [],
                `${v.key}: these resources would be deleted and created anew by pulumi up (add an alias):\n${lost.join("\n")}`,
            );
            if (record) {
                const stillAliased = before.filter((u) => !rendered[v.key].includes(u));
                rendered[v.key] = [...rendered[v.key], ...stillAliased].sort();
            }
        });
    }

    after(() => {
        if (!record || Object.keys(rendered).length !== VARIANTS.length) return;
        fs.writeFileSync(FILE, `${JSON.stringify(rendered, null, 2)}\n`);
    });
});
