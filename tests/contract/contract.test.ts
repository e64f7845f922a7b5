// The names, labels and patterns several areas rely on (contract/): their values, and that the
// code outside contract/ imports them instead of spelling them again.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    ANY_BACKUP_NAME_PATTERN,
    BACKUP_NAME_PATTERN,
    DEFAULT_NAME_PREFIX,
    backupName,
    backupNamePattern,
    backupNameTime,
} from "../../contract/backup";
import {
    APP_NAME,
    APP_PODS,
    BACKUP_CRONJOB_NAME,
    BACKUP_PODS,
    CANARY_APP_NAME,
    DB_SECRET_NAME,
    INSTANCE_LABEL,
    NAME_LABEL,
    POSTGRES_NAME,
    POSTGRES_PODS,
    POSTGRES_RESTORE_NAME,
    TRACK_LABEL,
    trackPods,
} from "../../contract/names";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../contract/security";
import { restrictedViolations } from "../lib/pss";

const ROOT = path.resolve(__dirname, "..", "..");

describe("contract: names shared across areas", () => {
    it("names the app, its canary, the database Secret, the backup CronJob and the in-cluster database", () => {
        assert.equal(APP_NAME, "kline-analytics");
        assert.equal(CANARY_APP_NAME, "kline-analytics-canary");
        // The canary reads production's Secret by this name (docs/operations.md).
        assert.equal(DB_SECRET_NAME, "kline-analytics-db");
        // The backup alerts select kube_cronjob_* series by this name.
        assert.equal(BACKUP_CRONJOB_NAME, "kline-analytics-backup");
        assert.equal(POSTGRES_NAME, "kline-analytics-postgresql");
        assert.equal(POSTGRES_RESTORE_NAME, "kline-analytics-postgresql-pitr");
    });

    it("pod labels the NetworkPolicies and Services select", () => {
        assert.deepEqual([NAME_LABEL, INSTANCE_LABEL, TRACK_LABEL], ["app.kubernetes.io/name", "app.kubernetes.io/instance", "track"]);
        assert.deepEqual(APP_PODS, { "app.kubernetes.io/name": "kline-analytics" });
        assert.deepEqual(BACKUP_PODS, { "app.kubernetes.io/name": "kline-analytics-backup" });
        assert.deepEqual(POSTGRES_PODS, { "app.kubernetes.io/name": "kline-analytics-postgresql" });
        assert.deepEqual(trackPods("stable"), {
            "app.kubernetes.io/name": "kline-analytics",
            "app.kubernetes.io/instance": "kline-analytics",
            track: "stable",
        });
        // Both tracks carry the app's name label, so the app namespace's policies cover the canary too.
        for (const track of ["stable", "canary"] as const) {
            const labels = trackPods(track);
            assert.equal(labels.track, track);
            for (const [k, v] of Object.entries(APP_PODS)) assert.equal(labels[k], v);
        }
    });

    it("backup names: the stack's pattern accepts the program's names and refuses anything else", () => {
        const name = backupName(DEFAULT_NAME_PREFIX, new Date(Date.UTC(2026, 11, 2, 14, 25, 7)));
        assert.equal(name, "kline_analytics_backup_20261202_142507.dump.zst");
        assert.match(name, BACKUP_NAME_PATTERN);
        assert.equal(backupNameTime(name), Date.UTC(2026, 11, 2, 14, 25, 7));
        for (const bad of [
            "kline_analytics_backup_20261202_142507.dump",
            "kline_analytics_backup_20261202_1425.dump.zst",
            "other_20261202_142507.dump.zst",
            "../kline_analytics_backup_20261202_142507.dump.zst",
            "kline_analytics_backup_20261202_142507.dump.zst.sha256",
            "backup.sql.gz",
        ]) {
            assert.doesNotMatch(bad, BACKUP_NAME_PATTERN, bad);
        }
        // Another prefix is a backup name (restore <name>), but not one the stack's restore Job asks for.
        assert.match("nightly-copy_20261202_142507.dump.zst", ANY_BACKUP_NAME_PATTERN);
        assert.match("nightly-copy_20261202_142507.dump.zst", backupNamePattern("nightly-copy"));
        assert.doesNotMatch("nightly-copy_20261202_142507.dump.zst", BACKUP_NAME_PATTERN);
        // A name that is no calendar instant is refused.
        assert.equal(backupNameTime("kline_analytics_backup_20260230_010000.dump.zst"), undefined);
    });

    it("pod security contexts: a pod using them passes Pod Security restricted; fixed non-root user, read-only root filesystem", () => {
        const container = { name: "c", image: "registry.example/c:1", securityContext: restrictedContainerSecurityContext() };
        assert.deepEqual(restrictedViolations({ securityContext: restrictedPodSecurityContext(), containers: [container] }), []);
        // Without them the same pod is refused (the check can fail).
        assert.notDeepEqual(restrictedViolations({ containers: [{ name: "c", image: "registry.example/c:1" }] }), []);
        const pod = restrictedPodSecurityContext();
        assert.deepEqual([pod.runAsUser, pod.runAsGroup, pod.fsGroup, pod.runAsNonRoot], [10001, 10001, 10001, true]);
        assert.equal(restrictedPodSecurityContext(999).runAsUser, 999);
        const c = restrictedContainerSecurityContext();
        assert.deepEqual([c.readOnlyRootFilesystem, c.allowPrivilegeEscalation, c.privileged], [true, false, false]);
        assert.deepEqual(c.capabilities, { drop: ["ALL"] });
    });

    it("contract/backup.ts imports nothing: the backup image compiles it without the Pulumi SDK", () => {
        const text = fs.readFileSync(path.join(ROOT, "contract/backup.ts"), "utf8");
        assert.doesNotMatch(text, /^\s*import\b|\brequire\(/m);
        assert.match(fs.readFileSync(path.join(ROOT, "images/backup/Dockerfile"), "utf8"), /^COPY contract\/backup\.ts contract\/$/m);
    });

    it("no code outside contract/ spells these names or label keys again", () => {
        const literals = [
            NAME_LABEL,
            INSTANCE_LABEL,
            DB_SECRET_NAME,
            BACKUP_CRONJOB_NAME,
            POSTGRES_NAME,
            POSTGRES_RESTORE_NAME,
            CANARY_APP_NAME,
        ];
        const files: string[] = [];
        const walk = (rel: string) => {
            for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
                const p = path.join(rel, e.name);
                if (e.isDirectory() && e.name !== "node_modules") walk(p);
                else if (e.isFile() && e.name.endsWith(".ts")) files.push(p);
            }
        };
        for (const dir of ["components", "policy", "tools", "renderer", "bench"]) walk(dir);
        files.push("stack.ts", "index.ts");
        assert.ok(files.includes(path.join("components", "app", "index.ts")));
        const found: string[] = [];
        for (const file of files) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const name of literals) if (text.includes(`"${name}"`)) found.push(`${file}: "${name}"`);
        }
        assert.deepEqual(found, [], "import these from contract/names.ts");
    });
});
