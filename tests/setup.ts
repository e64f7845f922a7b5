// Loaded by mocha before any test file (.mocharc.json "require"). Pulumi mocks must be in place
// before any resource is constructed, and only the renderer (renderer/render.ts) installs them: renderStack() switches
// stack and config by installing fresh mocks.
import { installMocks, loadStackConfig } from "../renderer";

installMocks("development", loadStackConfig("development"));
