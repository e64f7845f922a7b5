// Composition root: load and validate the stack's config, build the stack, export its outputs.
import { loadConfig } from "./config";
import { createStack } from "./stack";

export = createStack(loadConfig());
