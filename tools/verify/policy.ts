// Loads tools/verify/lint-policy.yaml: the linters' disabled checks, each with its reason.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export interface DisabledCheck {
    id: string;
    reason: string;
    /** When set, the check is off only for these objects ("Kind namespace/name", `*` matches any text). */
    objects?: string[];
}

/** True when a scoped exemption covers this object reference. */
export function exempts(check: DisabledCheck, object: string): boolean {
    if (!check.objects) return true;
    return check.objects.some((p) =>
        new RegExp(
            `^${p
                .split("*")
                .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                .join(".*")}$`,
        ).test(object),
    );
}

export interface LintPolicy {
    kubeScore: { kubernetesVersion: string; ignore: DisabledCheck[] };
    /** trustedRegistries: registry domains KSV-0125 accepts (an empty list means trivy's defaults). */
    trivy: { ignore: DisabledCheck[]; trustedRegistries: string[] };
}

export const POLICY_FILE = path.join(__dirname, "lint-policy.yaml");

function checks(list: unknown, where: string): DisabledCheck[] {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new Error(`${POLICY_FILE}: ${where}.ignore must be a list of {id, reason}`);
    return list.map((item, i) => {
        const id = item?.id;
        const reason = item?.reason;
        if (typeof id !== "string" || id.trim() === "") {
            throw new Error(`${POLICY_FILE}: ${where}.ignore[${i}] has no check id; write {id: <check>, reason: <why>}`);
        }
        if (typeof reason !== "string" || reason.trim().length < 20) {
            throw new Error(
                `${POLICY_FILE}: ${where}.ignore[${i}] (${id}) needs a reason a reviewer can accept (a sentence, not "${reason ?? ""}")`,
            );
        }
        const objects = item?.objects;
        if (
            objects !== undefined &&
            (!Array.isArray(objects) || objects.length === 0 || objects.some((o: unknown) => typeof o !== "string"))
        ) {
            throw new Error(
                `${POLICY_FILE}: ${where}.ignore[${i}] (${id}): objects must be a non-empty list of "Kind namespace/name" patterns`,
            );
        }
        return objects ? { id, reason: reason.trim(), objects } : { id, reason: reason.trim() };
    });
}

function registries(list: unknown): string[] {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list) || list.some((r) => typeof r !== "string" || !/^[a-z0-9.-]+(:\d+)?$/.test(r))) {
        throw new Error(`${POLICY_FILE}: trivy.trustedRegistries must be a list of registry domains such as ghcr.io`);
    }
    return list;
}

export function parsePolicy(text: string): LintPolicy {
    const raw = YAML.parse(text) ?? {};
    const ks = raw["kube-score"] ?? {};
    const version = ks.kubernetesVersion;
    if (typeof version !== "string" || !/^v1\.\d+$/.test(version)) {
        throw new Error(`${POLICY_FILE}: kube-score.kubernetesVersion must look like v1.36, got ${JSON.stringify(version)}`);
    }
    return {
        kubeScore: { kubernetesVersion: version, ignore: checks(ks.ignore, "kube-score") },
        trivy: {
            ignore: checks(raw.trivy?.ignore, "trivy"),
            trustedRegistries: registries(raw.trivy?.trustedRegistries),
        },
    };
}

export function loadPolicy(file = POLICY_FILE): LintPolicy {
    return parsePolicy(fs.readFileSync(file, "utf8"));
}
