// The backup program as the image runs it: compiled JavaScript started by scripts/backup-restore.sh
// (BACKUP_PROGRAM). Built once per test process with TypeScript's own transpiler into a private folder
// under bin/ (inside the repository, so Node finds node_modules), removed when the process exits.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const SOURCES = ["components/backup/logical", "contract/backup.ts"];
let built: string | undefined;

export function buildProgram(): string {
    if (built) return built;
    const out = path.join(ROOT, "bin", `backup-program-${process.pid}`);
    const files = SOURCES.flatMap((s) => {
        const abs = path.join(ROOT, s);
        return fs.statSync(abs).isDirectory()
            ? fs
                  .readdirSync(abs)
                  .filter((f) => f.endsWith(".ts"))
                  .map((f) => path.join(s, f))
            : [s];
    });
    for (const rel of files) {
        const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, rel), "utf8"), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            fileName: rel,
        }).outputText;
        const dest = path.join(out, rel.replace(/\.ts$/, ".js"));
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, js);
    }
    process.once("exit", () => fs.rmSync(out, { recursive: true, force: true }));
    built = path.join(out, "components", "backup", "logical", "cli.js");
    return built;
}
