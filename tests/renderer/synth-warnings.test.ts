// synth warns about an unset secret only when the stack uses it: the canary takes production's
// database Secret and Alertmanager, development generates its database password and its backup
// roles' passwords.
import { strict as assert } from "assert";
import { renderStack } from "../harness";

const unset = async (stack: string) =>
    (await renderStack(stack)).warnings
        .map((w) => /^(\w+) is not set in Pulumi\.\w+\.yaml; rendered with a stand-in/.exec(w)?.[1])
        .filter((k): k is string => k !== undefined)
        .sort();

describe("foundation: synth warns only about secrets a stack uses", () => {
    it("canary: none (its database Secret and receivers are production's)", async () => {
        assert.deepEqual(await unset("canary"), []);
    });
    it("development: the receivers, not the generated database and backup role passwords", async () => {
        assert.deepEqual(await unset("development"), ["heartbeatUrl", "pagerdutyRoutingKey", "slackWebhookUrl"]);
    });
    it("staging and production: the database password, the backup roles and the receivers", async () => {
        for (const stack of ["staging", "production"]) {
            assert.deepEqual(await unset(stack), [
                "backupDbPassword",
                "dbPassword",
                "heartbeatUrl",
                "pagerdutyRoutingKey",
                "restoreDbPassword",
                "slackWebhookUrl",
            ]);
        }
    });
});
