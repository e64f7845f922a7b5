// The Backups component on its own: it refuses to create jobs whose database roles have no password
// (the config module requires them for an external database; the in-cluster one generates them).
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Backups } from "../../components/backup";
import { installMocks, loadStackConfig } from "../../renderer";

describe("backup: the Backups component", () => {
    it("refuses role passwords that are missing, naming the config keys", async () => {
        // The staging stack's settings, with the passwords taken away.
        installMocks("staging", loadStackConfig("staging"));
        const { loadConfig } = await import("../../config");
        const cfg = loadConfig();
        assert.equal(cfg.backup.enabled, true);
        const bucket = {
            bucketName: pulumi.output("b"),
            bucketArn: pulumi.output("arn:aws:s3:::b"),
            writerRoleArn: pulumi.output("arn:aws:iam::1:role/w"),
            readerRoleArn: pulumi.output("arn:aws:iam::1:role/r"),
        };
        const args = {
            namespace: cfg.namespace,
            namespaceName: cfg.namespace,
            bucket,
            region: cfg.aws.region,
            database: cfg.database,
            labels: cfg.labels,
        };
        for (const missing of ["backupPassword", "restorePassword"] as const) {
            const roles = { ...cfg.backup.roles, [missing]: undefined };
            assert.throws(
                () => new Backups(`backups-without-${missing}`, { ...args, backup: { ...cfg.backup, roles } }),
                (err: Error) => {
                    assert.ok(err instanceof pulumi.ResourceError, String(err));
                    assert.match(err.message, /passwords of the backup and restore database roles/);
                    assert.match(err.message, /pulumi config set --secret backupDbPassword/);
                    assert.match(err.message, /pulumi config set --secret restoreDbPassword/);
                    return true;
                },
            );
        }
        // With both passwords the same arguments create the jobs.
        const ok = new Backups("backups-with-passwords", { ...args, backup: cfg.backup });
        assert.ok(cfg.backup.roles.backupPassword && cfg.backup.roles.restorePassword);
        assert.equal(ok.outputs.schedule, `${cfg.backup.schedule} (${cfg.backup.timeZone})`);
        assert.ok(ok.jobs.cronJob);
    });
});
