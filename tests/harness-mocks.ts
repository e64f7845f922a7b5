import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks } from "../tools/mocks";

export const PROJECT = "kline-analytics";

/**
 * Installs fresh recording mocks for `stack` with the given flat config (`{"kline-analytics:key": "value"}`,
 * values as strings) and the names of the keys that are secret. Returns the mocks so the caller can
 * read every registration.
 */
export function installMocks(stack: string, config: Record<string, string>, secretKeys: string[] = [], region = "us-west-2"): RecordingMocks {
    const mocks = new RecordingMocks(region);
    pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
    pulumi.runtime.setAllConfig(config, secretKeys);
    return mocks;
}
