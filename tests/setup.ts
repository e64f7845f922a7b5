// Loaded by mocha before any test file (.mocharc.json "require"). Pulumi mocks must be in place
// before any resource is constructed, and there must be exactly one place that installs them:
// tests/harness.ts switches the stack (and config) by calling installMocks again.
import { installMocks } from "./harness-mocks";

installMocks("development", {});
