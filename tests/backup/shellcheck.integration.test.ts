// The backup scripts pass shellcheck with no findings at all (info level included).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { requireTool } from "../lib/tools";

const ROOT = path.resolve(__dirname, "..", "..");

describe("backup shell scripts are shellcheck-clean", () => {
    for (const script of ["scripts/backup-restore.sh"]) {
        it(script, () => {
            const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/backup.txt)");
            const r = spawnSync(shellcheck, ["--severity=info", "--format=gcc", path.join(ROOT, script)], { encoding: "utf8" });
            assert.equal(r.error, undefined);
            assert.equal(r.stdout + r.stderr, "", `shellcheck findings in ${script}`);
            assert.equal(r.status, 0);
        });
    }
});
