// The e2e's entry point (the project copy's Pulumi.yaml `main`): the program exactly as index.ts
// builds it, with one change made by a resource transform: the three Helm releases install the
// local stand-in charts (tests/e2e/stand-ins/charts, assembled by the e2e) instead of charts from
// their repositories, which cannot be reached here. Chart name and version must match the pin.
// A real stack never runs this file, and the program has no setting that could do the same.
import * as pulumi from "@pulumi/pulumi";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const charts: Array<{ name: string; version: string; path: string }> = JSON.parse(process.env.KLINE_E2E_STAND_IN_CHARTS ?? "null") ?? [];
if (charts.length === 0) {
    throw new Error("tests/e2e/stand-ins/program.ts runs only under the e2e (KLINE_E2E_STAND_IN_CHARTS is not set)");
}

pulumi.runtime.registerResourceTransform((args) => {
    if (args.type !== RELEASE) return undefined;
    const { chart, version, repositoryOpts: _repository, ...rest } = args.props;
    const versions = charts.filter((c) => c.name === chart);
    if (versions.length === 0) throw new Error(`e2e: no stand-in chart for the Helm chart '${chart}' (${args.name})`);
    const standIn = versions.find((c) => c.version === version);
    if (!standIn) {
        throw new Error(
            `e2e: the stand-in chart ${chart} exists at ${versions.map((c) => c.version).join(", ")} but the program pins ${version}: update tests/e2e/stand-ins/charts/${chart}/Chart.yaml`,
        );
    }
    return { props: { ...rest, chart: standIn.path, version }, opts: args.opts };
});

// For the e2e's policy check only: strip the app container's resource limits, which the policy
// pack must refuse at preview (config validation cannot produce such a Deployment).
if (process.env.KLINE_E2E_DROP_APP_LIMITS === "1") {
    pulumi.runtime.registerResourceTransform((args) => {
        if (args.type !== "kubernetes:apps/v1:Deployment") return undefined;
        const spec = pulumi.output(args.props.spec).apply((s: any) => {
            const containers = s.template.spec.containers.map((c: any) => ({ ...c, resources: { requests: c.resources?.requests } }));
            return { ...s, template: { ...s.template, spec: { ...s.template.spec, containers } } };
        });
        return { props: { ...args.props, spec }, opts: args.opts };
    });
}

// Loaded after the transform is registered, so every resource of the program passes through it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const outputs = require("../../../index");
export = outputs;
