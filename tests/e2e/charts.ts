// Assembles the stand-in Helm charts (tests/e2e/stand-ins/charts) into the run's folder with the
// real CRDs of the pinned operator releases put where the real charts keep them.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ECK_VERSION, PROMETHEUS_OPERATOR_VERSION, schemaDir } from "../../tools/verify/sources";

const SOURCE = path.join(__dirname, "stand-ins", "charts");

export interface StandInChart {
    path: string;
    version: string;
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

/** Chart name -> folder and version, as tests/e2e/stand-ins/program.ts expects them. */
export function assembleCharts(dir: string): Record<string, StandInChart> {
    copyDir(SOURCE, dir);
    const crds = (name: string) => schemaDir(name);

    // kube-prometheus-stack: every prometheus-operator CRD in the crds subchart's crds/ folder.
    const kpsCrds = path.join(dir, "kube-prometheus-stack", "charts", "crds", "crds");
    fs.mkdirSync(kpsCrds, { recursive: true });
    const operatorCrds = crds(`prometheus-operator-${PROMETHEUS_OPERATOR_VERSION}`);
    for (const f of fs.readdirSync(operatorCrds).filter((f) => f.endsWith(".yaml"))) {
        fs.copyFileSync(path.join(operatorCrds, f), path.join(kpsCrds, f));
    }

    // eck-operator: all-crds.yaml as a template of the eck-operator-crds subchart.
    const eckTemplates = path.join(dir, "eck-operator", "charts", "eck-operator-crds", "templates");
    fs.mkdirSync(eckTemplates, { recursive: true });
    const eck = fs.readFileSync(path.join(crds(`eck-${ECK_VERSION}`), "all-crds.yaml"), "utf8");
    if (eck.includes("{{")) throw new Error("ECK all-crds.yaml contains template braces; it cannot be used as a Helm template as is");
    fs.writeFileSync(path.join(eckTemplates, "all-crds.yaml"), eck);

    const out: Record<string, StandInChart> = {};
    for (const name of fs.readdirSync(SOURCE)) {
        const chartFile = path.join(dir, name, "Chart.yaml");
        if (!fs.existsSync(chartFile)) continue;
        const chart = YAML.parse(fs.readFileSync(chartFile, "utf8"));
        out[chart.name] = { path: path.join(dir, name), version: String(chart.version) };
    }
    return out;
}
