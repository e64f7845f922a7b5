// The committed CRDs (crds/<chart>/<version>/) are byte-identical to the files of the pinned
// operator releases' Go modules, as .ci/setup/31-kube-schemas.sh fetches them (checksums verified
// by the go command): nobody edited them by hand, and they are the release the pins name.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { chartCrdDir } from "../../components/shared/crds";
import { ECK_OPERATOR_CHART } from "../../config/logging";
import { KUBE_PROMETHEUS_STACK_CHART } from "../../config/monitoring";
import { ECK_VERSION, PROMETHEUS_OPERATOR_VERSION, schemaDir } from "../../tools/verify/sources";

const yamlFiles = (dir: string) =>
    fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort();

describe("committed CRDs and the pinned operator modules", () => {
    const cases = [
        { chart: KUBE_PROMETHEUS_STACK_CHART, module: `prometheus-operator-${PROMETHEUS_OPERATOR_VERSION}` },
        { chart: ECK_OPERATOR_CHART, module: `eck-${ECK_VERSION}` },
    ];
    for (const c of cases) {
        it(`crds/${c.chart.name}/${c.chart.version}/ holds exactly the files of ${c.module}, byte for byte`, () => {
            const committed = chartCrdDir(c.chart);
            const pinned = schemaDir(c.module);
            assert.deepEqual(yamlFiles(committed), yamlFiles(pinned));
            for (const f of yamlFiles(committed)) {
                assert.ok(
                    fs.readFileSync(path.join(committed, f)).equals(fs.readFileSync(path.join(pinned, f))),
                    `${f} differs from ${path.join(pinned, f)}`,
                );
            }
        });
    }
});
