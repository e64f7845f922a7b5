// Composition root: load and validate the stack's config, build the stack, export its outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { createStack } from "./stack";

const cfg = loadConfig();
// Production overrides in use: the engine shows them as warnings on every preview and update.
for (const warning of cfg.warnings) void pulumi.log.warn(warning);

export = createStack(cfg);
