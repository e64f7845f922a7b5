// Assembles the stand-in Helm charts (tests/e2e/stand-ins/charts) into the run's folder, and makes
// the next version of one of them for the chart-bump test. The CRDs are not in the charts: the
// program installs them from crds/<chart>/<version>/ (components/shared/crds.ts).
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const SOURCE = path.join(__dirname, "stand-ins", "charts");

export interface StandInChart {
    name: string;
    version: string;
    path: string;
}

function copyDir(from: string, to: string): void {
    fs.mkdirSync(to, { recursive: true });
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
        const src = path.join(from, e.name);
        const dst = path.join(to, e.name);
        if (e.isDirectory()) copyDir(src, dst);
        else fs.copyFileSync(src, dst);
    }
}

/** Every stand-in chart, as tests/e2e/stand-ins/program.ts expects them (name, version, folder). */
export function assembleCharts(dir: string): StandInChart[] {
    copyDir(SOURCE, dir);
    const out: StandInChart[] = [];
    for (const name of fs.readdirSync(SOURCE).sort()) {
        const chartFile = path.join(dir, name, "Chart.yaml");
        if (!fs.existsSync(chartFile)) continue;
        const chart = YAML.parse(fs.readFileSync(chartFile, "utf8"));
        out.push({ name: chart.name, version: String(chart.version), path: path.join(dir, name) });
    }
    return out;
}

/** A copy of a stand-in chart at another version (the same templates; Chart.yaml's version changed). */
export function chartVersion(charts: StandInChart[], name: string, version: string): StandInChart {
    const base = charts.find((c) => c.name === name);
    if (!base) throw new Error(`no stand-in chart ${name}`);
    const dir = `${base.path}-${version}`;
    copyDir(base.path, dir);
    const chartFile = path.join(dir, "Chart.yaml");
    const text = fs.readFileSync(chartFile, "utf8");
    const updated = text.replace(/^version: .*$/m, `version: ${version}`);
    if (updated === text) throw new Error(`${chartFile} has no version line`);
    fs.writeFileSync(chartFile, updated);
    return { name, version, path: dir };
}
