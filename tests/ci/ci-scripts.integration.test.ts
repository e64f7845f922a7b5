// The set-up and CI scripts (.ci/run, .ci/test.sh, .ci/lib, .ci/setup) are shellcheck-clean at
// every severity, with the shared library they source followed (-x).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { requireTool } from "../lib/tools";

const CI = path.resolve(__dirname, "..", "..", ".ci");

function scripts(): string[] {
    const out = ["run", "test.sh"];
    for (const dir of ["lib", "setup"]) {
        for (const f of fs.readdirSync(path.join(CI, dir)).sort()) if (f.endsWith(".sh")) out.push(`${dir}/${f}`);
    }
    return out;
}

describe("delivery: CI and set-up scripts are shellcheck-clean", () => {
    it("covers the set-up scripts of every tool", () => {
        const all = scripts();
        for (const s of ["setup/20-minio.sh", "setup/30-kube-tools.sh", "setup/50-engine-tools.sh", "lib/tools.sh"])
            assert.ok(all.includes(s), s);
    });

    for (const script of scripts()) {
        it(`.ci/${script}`, () => {
            const shellcheck = requireTool("shellcheck", "apt-get install shellcheck (listed in .ci/apt/delivery.txt)");
            const file = path.join(CI, script);
            const r = spawnSync(shellcheck, ["-x", "--shell=bash", "--severity=info", "--format=gcc", path.basename(file)], {
                cwd: path.dirname(file),
                encoding: "utf8",
            });
            assert.equal(r.error, undefined);
            assert.equal(r.stdout + r.stderr, "", `shellcheck findings in .ci/${script}`);
            assert.equal(r.status, 0);
        });
    }
});
