// The verifier fixtures: a manifest every verifier accepts and one with a defect per object.
import * as path from "path";
import { KubeObject, readManifest, ref } from "../../tools/verify/manifest";

export const good = (): KubeObject[] => readManifest(path.join(__dirname, "fixtures", "good.yaml"));
export const broken = (): KubeObject[] => readManifest(path.join(__dirname, "fixtures", "broken.yaml"));
/** The broken objects minus the one kube-score cannot even parse (replicas: "two"). */
export const brokenParsable = (): KubeObject[] => broken().filter((o) => o.metadata.name !== "wrong-type");
export const named = (objects: KubeObject[], r: string): KubeObject => {
    const found = objects.find((o) => ref(o) === r);
    if (!found) throw new Error(`fixture has no ${r}`);
    return found;
};
