// The chart-version bump the e2e performs on a deployed stack, as a pull request would: the pin in
// config/ changes, and crds/<chart>/<new version>/ holds the CRDs that version ships. The new
// version is made up (stand-in charts, see tests/e2e/stand-ins/charts/README.md): its CRDs are the
// pinned ones with one new field in one CRD, so the test can see the upgrade land on the server.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { E2eCluster } from "./cluster";

export interface ChartBump {
    chart: string;
    from: string;
    to: string;
    /** The config module that pins the chart. */
    configFile: string;
    /** The CRD that gains a field in the new version, and the field. */
    crd: string;
    field: string;
    /** A custom resource of that CRD the program creates (apiVersion/namespace/plural/name), to dry-run with the field. */
    sample: { apiVersion: string; namespace: string; plural: string; name: string };
}

/** Writes crds/<chart>/<to>/ into the project copy: the <from> CRDs, `crd` with `field` added to its spec in every version. */
export function writeBumpedCrds(project: string, b: ChartBump): void {
    const from = path.join(project, "crds", b.chart, b.from);
    const to = path.join(project, "crds", b.chart, b.to);
    fs.mkdirSync(to, { recursive: true });
    let changed = 0;
    for (const file of fs.readdirSync(from).filter((f) => f.endsWith(".yaml"))) {
        const text = fs.readFileSync(path.join(from, file), "utf8");
        if (!text.includes(`name: ${b.crd}\n`)) {
            fs.writeFileSync(path.join(to, file), text);
            continue;
        }
        const docs = YAML.parseAllDocuments(text).map((d) => d.toJS({ maxAliasCount: -1 }));
        for (const crd of docs) {
            if (crd?.metadata?.name !== b.crd) continue;
            for (const v of crd.spec.versions) {
                const spec = v.schema?.openAPIV3Schema?.properties?.spec;
                if (!spec?.properties) continue;
                spec.properties[b.field] = { type: "string", description: `Added by the e2e's stand-in ${b.chart} ${b.to}.` };
                changed++;
            }
        }
        fs.writeFileSync(path.join(to, file), docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join("---\n"));
    }
    if (changed === 0) throw new Error(`${b.crd} not found in ${from}, or it has no spec properties`);
}

/** Changes the chart's pinned version in the project copy's config module (exactly one occurrence). */
export function bumpPin(project: string, b: ChartBump): void {
    const file = path.join(project, b.configFile);
    const text = fs.readFileSync(file, "utf8");
    // Comment lines (the Renovate annotation) may stand between the name and the version.
    const pattern = new RegExp(`(name: "${b.chart}",(?:\\s*//[^\\n]*)*\\s*version: )"${b.from.replace(/\./g, "\\.")}"`, "g");
    const found = text.match(pattern) ?? [];
    if (found.length !== 1) throw new Error(`${b.configFile}: expected one pin of ${b.chart} ${b.from}, found ${found.length}`);
    fs.writeFileSync(file, text.replace(pattern, `$1"${b.to}"`));
}

/** The CRD as the API server serves it. */
export async function liveCrd(cluster: E2eCluster, name: string): Promise<any> {
    const crd = await cluster.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    if (!crd) throw new Error(`CRD ${name} is not in the cluster`);
    return crd;
}

/** The versions of a live CRD whose spec schema has the field. */
export function versionsWithField(crd: any, field: string): string[] {
    return crd.spec.versions.filter((v: any) => v.schema?.openAPIV3Schema?.properties?.spec?.properties?.[field]).map((v: any) => v.name);
}

/**
 * A server-side dry-run update of the sample object with the field set and strict field
 * validation: the API server accepts the field only when the CRD it serves declares it.
 */
export async function dryRunWithField(cluster: E2eCluster, b: ChartBump): Promise<{ status: number; message: string }> {
    const { apiVersion, namespace, plural, name } = b.sample;
    const url = `/apis/${apiVersion}/namespaces/${namespace}/${plural}/${name}`;
    for (let attempt = 1; ; attempt++) {
        const obj = await cluster.get(url);
        if (!obj) throw new Error(`${url} not found`);
        obj.spec[b.field] = "set-by-the-e2e";
        const res = await cluster.client.request("PUT", `${url}?dryRun=All&fieldValidation=Strict`, obj);
        // 409: a controller wrote the object between the read and the update; read it again.
        if (res.status !== 409 || attempt === 5) return { status: res.status, message: res.body?.message ?? "" };
    }
}

/** uid of every object of the groups' kinds in the cluster, by kind/namespace/name. */
export async function customObjects(cluster: E2eCluster, groups: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const crd of await cluster.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")) {
        if (!groups.includes(crd.spec.group)) continue;
        const version = crd.spec.versions.find((v: any) => v.storage).name;
        for (const o of await cluster.list(`/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}`)) {
            out.set(`${crd.spec.names.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o.metadata.uid);
        }
    }
    return out;
}

/** Sequence numbers of the engine events (`pulumi up --event-log`) for one resource and event kind. */
export function eventSequence(eventLog: string, kind: "resourcePreEvent" | "resOutputsEvent", urnSuffix: string): number[] {
    const out: number[] = [];
    for (const line of fs.readFileSync(eventLog, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const e = JSON.parse(line);
        const meta = e[kind]?.metadata;
        if (meta && !e[kind].planning && typeof meta.urn === "string" && meta.urn.endsWith(urnSuffix)) out.push(e.sequence);
    }
    return out;
}
