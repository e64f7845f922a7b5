// components/backup/logical/archive.ts on archives written by the real pg_dump: a dump streamed into a
// pipe (as the backup writes it) gets the data offsets pg_dump writes into a dump file it can seek in,
// byte for byte, and pg_restore --jobs restores it; anything else is refused and left unchanged.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ArchiveFormatError, indexDataBlocks } from "../../components/backup/logical/archive";
import { PgServer } from "./lib/postgres";
import { checksumSql, seedSql } from "./lib/seed";

describe("data offsets for a pg_dump archive written to a pipe (real pg_dump and pg_restore)", function () {
    this.timeout(180_000);
    let pg: PgServer;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async function () {
        pg = await PgServer.create();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kline-archive-"));
        env = { ...process.env, ...pg.env("kline_parts") };
        pg.psql("postgres", "CREATE DATABASE kline_parts");
        // Partitioned tables (one data block per partition), an empty table and a large object.
        pg.psql("kline_parts", seedSql(0.2, { partitioned: true }));
        pg.psql("kline_parts", "CREATE TABLE empty_one (id int); SELECT lo_from_bytea(0, 'chart image bytes');");
    });

    after(() => {
        pg?.destroy();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const dump = (file: string, viaPipe: boolean) =>
        viaPipe
            ? execFileSync("bash", ["-o", "pipefail", "-c", `pg_dump -Fc -Z0 | cat > '${file}'`], { env })
            : execFileSync("pg_dump", ["-Fc", "-Z0", "-f", file], { env });

    it("writes the offsets pg_dump writes into a seekable file: equal bytes but for the creation time", () => {
        const piped = path.join(dir, "piped.dump");
        const direct = path.join(dir, "direct.dump");
        dump(piped, true);
        dump(direct, false);
        const [a, b] = [fs.readFileSync(piped), fs.readFileSync(direct)];
        assert.equal(a.length, b.length);
        const before = differences(a, b);
        assert.ok(
            before.some((i) => i > 200),
            "the piped dump lacks the offsets in its table of contents",
        );

        const index = indexDataBlocks(piped);
        const tables = Number(
            pg.psql("kline_parts", "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"),
        );
        assert.ok(tables >= 9, `partitions and tables: ${tables}`);
        assert.equal(index.dataEntries, tables + 1, "one data block per table or partition, and one for the large objects");
        assert.equal(index.written, index.dataEntries, "every offset was missing and is now written");
        const after = differences(fs.readFileSync(piped), b);
        assert.ok(
            after.every((i) => i < 64),
            `only the header's creation time differs, at ${after.slice(0, 10)}`,
        );
        assert.deepEqual(
            indexDataBlocks(direct),
            { dataEntries: index.dataEntries, written: 0 },
            "a file pg_dump indexed is left as it is",
        );
    });

    it("lets pg_restore --jobs restore the indexed dump to the same rows", () => {
        const piped = path.join(dir, "restore.dump");
        dump(piped, true);
        indexDataBlocks(piped);
        pg.psql("postgres", "CREATE DATABASE kline_parts_copy");
        execFileSync("pg_restore", ["--exit-on-error", "--jobs=3", "-d", "kline_parts_copy", piped], { env });
        assert.equal(pg.psql("kline_parts_copy", checksumSql()), pg.psql("kline_parts", checksumSql()));
        assert.equal(
            pg.psql("kline_parts_copy", "SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata").trim(),
            "chart image bytes",
        );
    });

    it("refuses what it cannot read and leaves the file as it was", () => {
        const piped = path.join(dir, "bad.dump");
        dump(piped, true);
        const whole = fs.readFileSync(piped);
        const cases: [string, Buffer, RegExp][] = [
            ["not an archive", Buffer.from("-- PostgreSQL database dump\nSELECT 1;\n"), /not a pg_dump archive/],
            [
                "cut inside the data",
                whole.subarray(0, Math.floor(whole.length * 0.6)),
                /runs past the end|ends inside a record|no data block for TOC entry/,
            ],
            ["bytes after the last data block", Buffer.concat([whole, whole.subarray(0, 64)]), /unknown block type 80 at byte \d+/],
            [
                "another archive version",
                Buffer.concat([whole.subarray(0, 6), Buffer.from([99]), whole.subarray(7)]),
                /archive version 1\.\d+ is not one this reads/,
            ],
        ];
        for (const [what, bytes, re] of cases) {
            const file = path.join(dir, "case.dump");
            fs.writeFileSync(file, bytes);
            assert.throws(
                () => indexDataBlocks(file),
                (err: Error) => err instanceof ArchiveFormatError && re.test(err.message),
                what,
            );
            assert.ok(fs.readFileSync(file).equals(bytes), `${what}: unchanged`);
        }
    });
});

function differences(a: Buffer, b: Buffer): number[] {
    const out: number[] = [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) out.push(i);
    return out;
}
