import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { environmentMatrix, updatePulumiYaml, updateReadme } from "../../tools/config-reference";

const ROOT = path.join(__dirname, "../..");

describe("README", () => {
    it("its config reference and environment matrix match config/keys.ts and config/environments.ts (regenerate with npm run docs:config)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        assert.equal(updateReadme(readme), readme);
    });

    it("its environment matrix shows the matrix's values, one column per environment", () => {
        const lines = environmentMatrix().split("\n");
        assert.equal(lines[1], "| | development | staging | production | canary |");
        assert.ok(lines.includes("| replicas | 1 | 2 | 3 (HPA up to 10) | 1 |"), lines.join("\n"));
        assert.ok(
            lines.includes(
                "| backups (schedule / retention / concurrency) | 01:00 / 7 d / 3 | 01:30 / 14 d / 4 | 02:00 / 30 d / 5 | none (production's) |",
            ),
        );
    });
});

describe("Pulumi.yaml", () => {
    it("its config block is the one config/keys.ts declares (regenerate with npm run docs:config)", () => {
        const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
        assert.equal(updatePulumiYaml(text), text);
    });

    it("a stale block is detected: a changed description or a missing key differs from the generated one", () => {
        const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
        assert.notEqual(updatePulumiYaml(text.replace("Pod count,", "Pods,")), text.replace("Pod count,", "Pods,"));
        const withoutKey = text.replace(/\n {2}muteWindows:\n(?: {4}.*\n)+/, "\n");
        assert.notEqual(withoutKey, text);
        assert.notEqual(updatePulumiYaml(withoutKey), withoutKey);
    });
});
