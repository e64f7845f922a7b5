// scripts/deploy.sh reads single stack outputs by name (`pulumi stack output --stack <s> <name>`).
// The recording stand-in answers any name, so this checks the names against what the program
// really exports: a renamed or nested output would otherwise make the check silently never run.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { renderStack } from "../harness";

const SCRIPT = fs.readFileSync(path.resolve(__dirname, "..", "..", "scripts", "deploy.sh"), "utf8");

describe("delivery: deploy.sh reads stack outputs the program exports", () => {
    const names = [...SCRIPT.matchAll(/pulumi stack output --stack "\$STACK(?:_REF)?" ([A-Za-z]+)/g)].map((m) => m[1]);

    it("names at least the backup bucket output", () => {
        assert.deepEqual(names, ["backupBucket"]);
    });

    it("every output it reads is a top-level string output of the staging stack", async () => {
        const outputs = (await renderStack("staging")).outputs;
        for (const name of names) assert.equal(typeof outputs[name], "string", `stack output ${name}: ${JSON.stringify(outputs[name])}`);
        assert.equal(outputs.backupBucket, outputs.backup.bucket);
        assert.match(outputs.backupBucket, /^kline-analytics-staging-backups-[0-9a-f]+$/);
    });

    it("the canary, which has no bucket, exports no backupBucket (status then skips the check)", async () => {
        assert.equal((await renderStack("canary")).outputs.backupBucket, undefined);
    });
});
