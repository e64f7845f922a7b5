// Loaded by mocha before any test file (.mocharc.json "require"). Pulumi mocks must be in place
// before any resource is constructed, and only tools/render.ts installs them: renderStack() switches
// stack and config by installing fresh mocks.
import { installMocks, loadStackConfig } from "../tools/render";

installMocks("development", loadStackConfig("development"));
