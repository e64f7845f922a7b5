// Which pinned versions in this repository Renovate (renovate.json) would update, and which it
// would not. Two independent halves:
//   scanPins()     finds every pin by reading the files the way a person would: version
//                  assignments in the set-up scripts, chart and image versions in config,
//                  images in stack files and Dockerfiles, action refs and tool versions in the
//                  workflows, package.json entries, go.mod requirements.
//   extractDeps()  applies renovate.json: its regex managers (the matchStrings run over the files
//                  their managerFilePatterns select, as Renovate does) and a model of the built-in
//                  managers it enables (npm, github-actions, dockerfile, gomod), minus what
//                  ignorePaths and disabling package rules take away.
// A pin is covered when a dependency was extracted at its line with its version.
// `npx ts-node --transpile-only tools/renovate-coverage.ts` prints the uncovered pins (exit 1).
import * as fs from "fs";
import * as path from "path";

export type Files = Map<string, string>;

export interface Pin {
    file: string;
    line: number;
    /** What the pin is called where it stands (variable, package, module, image, action). */
    name: string;
    version: string;
}

export interface Dep {
    manager: string;
    file: string;
    line: number;
    depName: string;
    packageName: string;
    currentValue: string;
    currentDigest?: string;
    datasource?: string;
    depType?: string;
}

export interface RenovateConfig {
    extends?: string[];
    ignorePaths?: string[];
    enabledManagers?: string[];
    customManagers?: {
        customType: string;
        managerFilePatterns: string[];
        matchStrings: string[];
        datasourceTemplate?: string;
        depNameTemplate?: string;
        packageNameTemplate?: string;
    }[];
    packageRules?: PackageRule[];
}

export interface PackageRule {
    description?: string;
    matchManagers?: string[];
    matchDepTypes?: string[];
    matchPackageNames?: string[];
    matchDepNames?: string[];
    matchFileNames?: string[];
    matchUpdateTypes?: string[];
    enabled?: boolean;
    groupName?: string;
}

/** Folders never scanned: dependencies, build output, and the e2e's stand-in charts (copies of the pinned charts, not pins of their own). */
const SKIP_DIRS = new Set(["node_modules", ".git", "out"]);
const SKIP_PATHS = ["tests/e2e/stand-ins/charts/"];

/** The files of a checkout that can hold pins (tests hold fixtures, not pins: only their go.mod files count). */
export function readRepo(root: string): Files {
    const files: Files = new Map();
    const walk = (rel: string) => {
        for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
            const p = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                if (!SKIP_DIRS.has(entry.name) && !SKIP_PATHS.some((s) => `${p}/`.startsWith(s))) walk(p);
            } else if (entry.isFile() && isCandidate(p)) {
                files.set(p, fs.readFileSync(path.join(root, p), "utf8"));
            }
        }
    };
    walk("");
    return files;
}

function isCandidate(p: string): boolean {
    if (p.startsWith("tests/")) return p.endsWith("/go.mod");
    return (
        /^\.ci\//.test(p) ||
        /^\.github\/workflows\/[^/]+\.ya?ml$/.test(p) ||
        /^Pulumi(\.[a-z]+)?\.yaml$/.test(p) ||
        /(^|\/)package\.json$/.test(p) ||
        /(^|\/)go\.mod$/.test(p) ||
        /(^|\/)Dockerfile$/.test(p) ||
        (/\.(ts|sh)$/.test(p) && !/\.d\.ts$/.test(p))
    );
}

const lineAt = (text: string, index: number) => text.slice(0, index).split("\n").length;

/** A version as people pin it: 1.2, v1.2.3, 16.6-alpine3.21, 1.5.0-rc.1, a Go pseudo-version. */
const VERSION = /^v?\d+\.\d+(\.\d+)?([-+.][\w.+-]*)?$/;
/** registry/repository:tag[@sha256:digest] (or an official image, postgres:16.6), with a version-like tag. */
const IMAGE = /^([a-z0-9][a-z0-9.-]*(?:\/[a-z0-9._-]+)*):(v?\d+\.\d+[\w.-]*)(@sha256:[a-f0-9]{64})?$/;

/** Every pinned version in the files, found without looking at renovate.json. */
export function scanPins(files: Files): Pin[] {
    const pins: Pin[] = [];
    const add = (file: string, text: string, index: number, name: string, version: string) =>
        pins.push({ file, line: lineAt(text, index), name, version });
    for (const [file, text] of files) {
        if (file.endsWith("package.json")) {
            const pkg = JSON.parse(text);
            for (const section of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
                for (const [name, version] of Object.entries<string>(pkg[section] ?? {})) {
                    add(file, text, text.indexOf(`"${name}": "${version}"`), name, version);
                }
            }
        } else if (file.endsWith("go.mod")) {
            for (const m of text.matchAll(/^go (\d+\.\d+(?:\.\d+)?)$/gm)) add(file, text, m.index!, "go", m[1]);
            // requirements (one-line or in a block), not the indirect ones (go mod tidy keeps those)
            for (const m of text.matchAll(/^(?:require )?\t?([\w.~/-]+\.[\w.~/-]+) (v[^\s]+)(?! \/\/ indirect)[ \t]*$/gm)) {
                if (!/=>/.test(m[0])) add(file, text, m.index!, m[1], m[2]);
            }
            for (const m of text.matchAll(/^(?:replace )?\t?[\w.~/-]+(?: v\S+)? => ([\w.~/-]+) (v\S+)$/gm))
                add(file, text, m.index!, m[1], m[2]);
        } else if (/(^|\/)Dockerfile$/.test(file)) {
            for (const m of text.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)/gm)) {
                const img = IMAGE.exec(m[1]);
                if (img) add(file, text, m.index!, img[1], img[2]);
            }
            for (const m of text.matchAll(/^ARG\s+(\w+)=(\S+)$/gm)) if (VERSION.test(m[2])) add(file, text, m.index!, m[1], m[2]);
        } else if (file.startsWith(".github/workflows/")) {
            for (const m of text.matchAll(/^[ \t]*(?:-[ \t]+)?uses:[ \t]*([^\s@#]+)@(\S+)/gm)) {
                if (!m[1].startsWith("./")) add(file, text, m.index!, m[1], m[2]);
            }
            for (const m of text.matchAll(/^[ \t]*(?:container|image):[ \t]*(\S+)[ \t]*$/gm)) {
                const img = IMAGE.exec(m[1]);
                if (img) add(file, text, m.index!, img[1], img[2]);
            }
            for (const m of text.matchAll(/^[ \t]*([\w-]+-version):[ \t]*["']?([^\s"']+)["']?[ \t]*$/gm)) {
                if (VERSION.test(m[2])) add(file, text, m.index!, m[1], m[2]);
            }
            // versions given to run: steps through the environment (HELM_VERSION: v3.19.0)
            for (const m of text.matchAll(/^[ \t]*([A-Z][A-Z0-9_]*VERSION):[ \t]*["']?([^\s"']+)["']?[ \t]*$/gm)) {
                if (VERSION.test(m[2])) add(file, text, m.index!, m[1], m[2]);
            }
            // versions given to run: steps through the environment (HELM_VERSION: v3.19.0)
            for (const m of text.matchAll(/^[ \t]*([A-Z][A-Z0-9_]*VERSION):[ \t]*["']?([^\s"']+)["']?[ \t]*$/gm)) {
                if (VERSION.test(m[2])) add(file, text, m.index!, m[1], m[2]);
            }
            for (const m of text.matchAll(/^[ \t]*runs-on:[ \t]*([a-z]+)-(\d+\.\d+)[ \t]*$/gm)) add(file, text, m.index!, m[1], m[2]);
        } else if (/\.ya?ml$/.test(file)) {
            // Pulumi.yaml and the stack files: image values (descriptions are prose, not pins)
            for (const m of text.matchAll(/^[ \t]*([\w:-]+):[ \t]*["']?([^\s"']+)["']?[ \t]*$/gm)) {
                if (m[1] === "description") continue;
                const img = IMAGE.exec(m[2]);
                if (img) add(file, text, m.index!, img[1], img[2]);
            }
        } else {
            // shell and TypeScript: NAME="version" / const NAME = "version" / version: "x", and image literals
            for (const m of text.matchAll(
                /^[ \t]*(?:export[ \t]+)?(?:(?:const|let|readonly)[ \t]+)?([A-Za-z_][\w]*)[ \t]*(?::[^=\n]+)?=[ \t]*["']([^"'\n]+)["']/gm,
            )) {
                const value = m[2].includes("@") ? m[2].slice(m[2].lastIndexOf("@") + 1) : m[2];
                if (VERSION.test(value)) add(file, text, m.index!, m[1], value);
            }
            for (const m of text.matchAll(/^[ \t]*version:[ \t]*["']([^"'\n]+)["']/gm)) {
                if (VERSION.test(m[1])) add(file, text, m.index!, "version", m[1]);
            }
            for (const m of text.matchAll(/["']([a-z0-9][^"'\s]*:[^"'\s]+)["']/g)) {
                const img = IMAGE.exec(m[1]);
                if (img) add(file, text, m.index!, img[1], img[2]);
            }
        }
    }
    return dedupe(pins, (p) => `${p.file}:${p.line}:${p.version}`);
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
    const seen = new Map<string, T>();
    for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
    return [...seen.values()];
}

/** Renovate's `/regex/` file patterns; other forms are refused so this model stays exact. */
function filePattern(p: string): RegExp {
    const m = /^\/(.*)\/([a-z]*)$/.exec(p);
    if (!m) throw new Error(`renovate.json: file pattern '${p}' is not in /regex/ form; this checker reads only that form`);
    return new RegExp(m[1], m[2]);
}

/** Renovate's globs (ignorePaths, matchFileNames, matchPackageNames): `**` any path, `*` one segment; `/regex/` as such. */
function glob(p: string): RegExp {
    if (/^\/.*\/[a-z]*$/.test(p)) return filePattern(p);
    const re = p
        .split("**")
        .map((part) => part.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, "[^/]*"))
        .join(".*");
    return new RegExp(`^${re}$`);
}

const BUILT_IN = ["npm", "github-actions", "dockerfile", "gomod"];
const SETUP_ACTION_VERSIONS: Record<string, { input: string; depName: string; packageName: string }> = {
    "actions/setup-node": { input: "node-version", depName: "node", packageName: "actions/node-versions" },
    "actions/setup-go": { input: "go-version", depName: "go", packageName: "actions/go-versions" },
    "pulumi/actions": { input: "pulumi-version", depName: "pulumi", packageName: "pulumi/pulumi" },
};

/** The dependencies Renovate would extract with this configuration. */
export function extractDeps(files: Files, config: RenovateConfig): Dep[] {
    if (config.extends?.length) {
        throw new Error(
            `renovate.json extends ${config.extends.join(", ")}: presets are not read by this checker, so they must not add managers or ignore paths`,
        );
    }
    const ignored = (config.ignorePaths ?? []).map(glob);
    const enabled = new Set(config.enabledManagers ?? [...BUILT_IN, "custom.regex"]);
    for (const m of enabled) {
        if (m !== "custom.regex" && !BUILT_IN.includes(m))
            throw new Error(`renovate.json enables manager '${m}', which this checker does not model`);
    }
    const deps: Dep[] = [];
    for (const [file, text] of files) {
        if (ignored.some((re) => re.test(file))) continue;
        if (enabled.has("custom.regex")) {
            for (const mgr of config.customManagers ?? []) {
                if (mgr.customType !== "regex" || !mgr.managerFilePatterns.map(filePattern).some((re) => re.test(file))) continue;
                for (const ms of mgr.matchStrings) {
                    for (const m of text.matchAll(new RegExp(ms, "g"))) {
                        const g = m.groups ?? {};
                        if (g.currentValue === undefined) continue;
                        const depName = g.depName ?? mgr.depNameTemplate ?? "";
                        deps.push({
                            manager: "regex",
                            file,
                            line: lineAt(text, m.index! + m[0].lastIndexOf(g.currentValue)),
                            depName,
                            packageName: g.packageName ?? mgr.packageNameTemplate ?? depName,
                            currentValue: g.currentValue,
                            currentDigest: g.currentDigest,
                            datasource: g.datasource ?? mgr.datasourceTemplate,
                        });
                    }
                }
            }
        }
        if (enabled.has("npm") && /(^|\/)package\.json$/.test(file)) {
            const pkg = JSON.parse(text);
            for (const depType of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
                for (const [name, version] of Object.entries<string>(pkg[depType] ?? {})) {
                    const line = lineAt(text, text.indexOf(`"${name}": "${version}"`));
                    deps.push({
                        manager: "npm",
                        file,
                        line,
                        depName: name,
                        packageName: name,
                        currentValue: version,
                        datasource: "npm",
                        depType,
                    });
                }
            }
        }
        if (enabled.has("dockerfile") && /(^|\/|\.)([Dd]ocker|[Cc]ontainer)file$/.test(file)) {
            for (const m of text.matchAll(/^FROM\s+(?:--platform=\S+\s+)?([^\s:@]+(?:\/[^\s:@]+)*)(?::([^\s@]+))?(?:@(\S+))?/gm)) {
                deps.push({
                    manager: "dockerfile",
                    file,
                    line: lineAt(text, m.index!),
                    depName: m[1],
                    packageName: m[1],
                    currentValue: m[2] ?? "",
                    currentDigest: m[3],
                    datasource: "docker",
                    depType: "final",
                });
            }
        }
        if (enabled.has("github-actions") && /^\.github\/workflows\/[^/]+\.ya?ml$/.test(file)) deps.push(...githubActions(file, text));
        if (enabled.has("gomod") && /(^|\/)go\.mod$/.test(file)) deps.push(...gomod(file, text));
    }
    return deps.filter((d) => !disabled(d, config.packageRules ?? []));
}

function githubActions(file: string, text: string): Dep[] {
    const deps: Dep[] = [];
    const dep = (index: number, depName: string, packageName: string, currentValue: string, datasource: string, depType: string) =>
        deps.push({ manager: "github-actions", file, line: lineAt(text, index), depName, packageName, currentValue, datasource, depType });
    const lines = text.split("\n");
    let offset = 0;
    let action: { name: string; indent: number } | undefined;
    for (const l of lines) {
        const uses = /^(\s*)(?:-\s+)?uses:\s*([^\s@#]+)@(\S+)/.exec(l);
        if (uses) {
            if (!uses[2].startsWith("./")) dep(offset, uses[2], uses[2], uses[3], "github-tags", "action");
            action = { name: uses[2], indent: uses[1].length };
        } else if (action && /^\s*-\s/.test(l)) {
            action = undefined; // next step
        }
        const input = /^\s*([\w-]+-version):\s*["']?([^\s"']+)["']?\s*$/.exec(l);
        const setup = action && SETUP_ACTION_VERSIONS[action.name];
        if (input && setup && input[1] === setup.input)
            dep(offset, setup.depName, setup.packageName, input[2], "github-releases", "uses-with");
        const container = /^\s*(container|image):\s*([^\s:]+):(\S+)\s*$/.exec(l);
        if (container) dep(offset, container[2], container[2], container[3], "docker", container[1] === "image" ? "service" : "container");
        const runner = /^\s*runs-on:\s*([a-z]+)-(\d+\.\d+)\s*$/.exec(l);
        if (runner) dep(offset, runner[1], runner[1], runner[2], "github-runners", "github-runner");
        offset += l.length + 1;
    }
    return deps;
}

function gomod(file: string, text: string): Dep[] {
    const deps: Dep[] = [];
    let block: "require" | "replace" | undefined;
    let offset = 0;
    for (const l of text.split("\n")) {
        const line = lineAt(text, offset);
        offset += l.length + 1;
        if (/^(require|replace) \($/.test(l)) {
            block = l.startsWith("require") ? "require" : "replace";
            continue;
        }
        if (l === ")") {
            block = undefined;
            continue;
        }
        const go = /^go (\S+)$/.exec(l);
        if (go)
            deps.push({
                manager: "gomod",
                file,
                line,
                depName: "go",
                packageName: "go",
                currentValue: go[1],
                datasource: "golang-version",
                depType: "golang",
            });
        const body = block ? l.trim() : l.replace(/^(require|replace) /, "");
        const kind = block ?? (/^(require|replace) /.exec(l)?.[1] as "require" | "replace" | undefined);
        if (!kind || !body) continue;
        const r = kind === "require" ? /^(\S+) (v\S+)( \/\/ indirect)?$/.exec(body) : /^\S+(?: v\S+)? => (\S+) (v\S+)$/.exec(body);
        if (!r) continue;
        const depType = kind === "replace" ? "replace" : r[3] ? "indirect" : "require";
        deps.push({ manager: "gomod", file, line, depName: r[1], packageName: r[1], currentValue: r[2], datasource: "go", depType });
    }
    return deps;
}

/** Whether a package rule applies to a dependency (every matcher it has must match). */
export function ruleMatches(rule: PackageRule, d: Dep): boolean {
    const any = (patterns: string[] | undefined, value: string | undefined) =>
        patterns === undefined || (value !== undefined && patterns.some((p) => glob(p).test(value)));
    return (
        any(rule.matchManagers, d.manager === "regex" ? "custom.regex" : d.manager) &&
        any(rule.matchDepTypes, d.depType) &&
        any(rule.matchPackageNames, d.packageName) &&
        any(rule.matchDepNames, d.depName) &&
        any(rule.matchFileNames, d.file)
    );
}

/** Turned off altogether by a rule (a rule limited to some update types leaves the others). */
function disabled(d: Dep, rules: PackageRule[]): boolean {
    return rules.some((r) => r.enabled === false && !r.matchUpdateTypes && ruleMatches(r, d));
}

/** The group Renovate puts a dependency's updates in (the last matching rule wins, as in Renovate). */
export function groupOf(d: Dep, rules: PackageRule[]): string | undefined {
    let group: string | undefined;
    for (const r of rules) if (r.groupName && !r.matchUpdateTypes && ruleMatches(r, d)) group = r.groupName;
    return group;
}

export interface Coverage {
    pins: Pin[];
    deps: Dep[];
    uncovered: Pin[];
}

export function coverage(files: Files, config: RenovateConfig): Coverage {
    const pins = scanPins(files);
    const deps = extractDeps(files, config);
    const uncovered = pins.filter((p) => !deps.some((d) => d.file === p.file && d.line === p.line && d.currentValue === p.version));
    return { pins, deps, uncovered };
}

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    const config = JSON.parse(fs.readFileSync(path.join(root, "renovate.json"), "utf8"));
    const result = coverage(readRepo(root), config);
    for (const p of result.uncovered) console.log(`${p.file}:${p.line}: ${p.name} ${p.version} has no Renovate rule`);
    console.log(
        `${result.pins.length} pins, ${result.pins.length - result.uncovered.length} covered by renovate.json, ${result.uncovered.length} not`,
    );
    process.exit(result.uncovered.length ? 1 : 0);
}
