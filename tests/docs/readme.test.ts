import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { updateReadme } from "../../tools/config-reference";

describe("README", () => {
    it("its config reference matches Pulumi.yaml (regenerate with npm run docs:config)", () => {
        const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        assert.equal(updateReadme(readme), readme);
    });
});
