// The config module stands on its own: components import config, never the other way round.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const CONFIG_DIR = path.join(__dirname, "../../config");

/** The module paths a TypeScript file imports that lead into components/ (import, export ... from, require). */
export function componentImports(source: string): string[] {
    const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);
    return specifiers.filter((s) => /(^|\/)components(\/|$)/.test(s));
}

function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .filter((f) => f.endsWith(".ts"));
}

describe("config imports", () => {
    it("the matcher finds every form of import from components/ and nothing else", () => {
        const sample = [
            'import { muteWindowProblems } from "../components/monitoring/alertmanager";',
            "import type { X } from '../components/app';",
            'export { Y } from "../components/backup/policies";',
            'const z = require("../components/logging/names");',
            'import "../components";',
            'import { ENVIRONMENTS } from "./environments";',
            'import * as pulumi from "@pulumi/pulumi";',
            "// components/ named in a comment",
        ].join("\n");
        assert.deepEqual(componentImports(sample), [
            "../components/monitoring/alertmanager",
            "../components/app",
            "../components/backup/policies",
            "../components/logging/names",
            "../components",
        ]);
    });

    it("no file under config/ imports from components/", () => {
        const files = filesUnder(CONFIG_DIR);
        assert.ok(files.length >= 10, `config/ holds ${files.length} files`);
        const offending = files.flatMap((f) => componentImports(fs.readFileSync(f, "utf8")).map((s) => `${path.basename(f)}: ${s}`));
        assert.deepEqual(offending, []);
    });
});
