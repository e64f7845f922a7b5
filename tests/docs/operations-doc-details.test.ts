// More of docs/operations.md checked against the program: the secrets table covers every secret
// key, kubectl commands look for the log shipper where it runs, and the health advice matches the
// actuator settings the app ConfigMap ships.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { SECRET_KEYS } from "../../config";
import { objects, renderStack } from "../harness";

const DOC = fs.readFileSync(path.resolve(__dirname, "..", "..", "docs", "operations.md"), "utf8");

describe("delivery: docs/operations.md details match the code", () => {
    it("the secrets table has a row for every secret key", () => {
        const section = DOC.slice(DOC.indexOf("| secret |"), DOC.indexOf("npm run synth -- --stack <stack>` prints"));
        const rows = [...section.matchAll(/^\| `([a-zA-Z]+)`/gm)].map((m) => m[1]).sort();
        assert.deepEqual(rows, [...SECRET_KEYS].sort());
    });

    it("kubectl commands for the Beat's pods use the namespace the Beat is rendered in", async () => {
        const beats = objects(await renderStack("production"), "Beat");
        assert.equal(beats.length, 1);
        const calls = [...DOC.matchAll(/kubectl -n (\S+) logs -l beat\.k8s\.elastic\.co\/name/g)].map((m) => m[1]);
        assert.ok(calls.length > 0);
        for (const ns of calls) assert.equal(ns, beats[0].metadata.namespace);
    });

    it("does not promise health component details the actuator hides", async () => {
        const cm = objects(await renderStack("production"), "ConfigMap", "kline-analytics-config")[0];
        const health = parse(cm.data["application.yaml"]).management.endpoint.health;
        if (health["show-details"] === "never") assert.doesNotMatch(DOC, /actuator\/health[^\n]*component details/);
    });
});
