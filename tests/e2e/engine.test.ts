// The e2e harness refuses to run without its engine tools and stand-ins, naming each one: it
// never passes by skipping (the e2e itself runs under npm run e2e, not here).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findEngineTools, STAND_INS, STAND_INS_BIN } from "./engine";

describe("e2e harness: missing engine tools and stand-ins", () => {
    it("without the stand-ins on PATH, names each stand-in, what it replaces and where it is built", () => {
        const saved = process.env.PATH;
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "kline-empty-path-"));
        process.env.PATH = empty;
        try {
            assert.throws(
                () => findEngineTools(),
                (err: Error) => {
                    for (const s of STAND_INS) {
                        assert.ok(err.message.includes(`${s.bin} (stand-in for ${s.what}`), `${s.bin} not named in:\n${err.message}`);
                    }
                    assert.ok(err.message.includes(`export PATH="${STAND_INS_BIN}:$PATH"`), err.message);
                    assert.ok(err.message.includes("bash .ci/setup/50-engine-tools.sh"), err.message);
                    return true;
                },
            );
        } finally {
            process.env.PATH = saved;
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("finds a stand-in only on PATH, never in the tools folder it is built into", () => {
        const saved = process.env.PATH;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-stand-in-path-"));
        try {
            for (const s of STAND_INS) {
                fs.writeFileSync(path.join(dir, s.bin), "#!/bin/sh\n", { mode: 0o755 });
            }
            process.env.PATH = dir;
            let standIns: Record<string, string> | undefined;
            try {
                standIns = findEngineTools().standIns;
            } catch (err: any) {
                // pulumi itself may be missing on this machine; the stand-ins must not be listed.
                for (const s of STAND_INS) assert.ok(!err.message.includes(`${s.bin} (stand-in`), err.message);
            }
            if (standIns) for (const s of STAND_INS) assert.equal(standIns[s.bin], path.join(dir, s.bin));
        } finally {
            process.env.PATH = saved;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
