// The parts of the Pulumi Node.js SDK (@pulumi/pulumi 3.248.x) the renderer uses that are not its
// public API: the runtime's resource monitor (to record every registration with its options), the
// wait for outstanding registrations, the deserialiser of registered inputs, and the markers the
// SDK puts on secret values and resource references. They live here, in one place, and
// tests/renderer/sdk.test.ts fails naming the piece that changed when an SDK update moves one.
/* eslint-disable @typescript-eslint/no-var-requires */

/** One registration as the SDK hands it to the resource monitor (a protobuf message). */
export interface RegisterResourceRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean;
    getRetainondelete(): boolean;
    getDependenciesList(): string[];
    getIgnorechangesList(): string[];
    getProvider(): string;
    getObject(): unknown;
    getAliasesList(): AliasMessage[];
}

/** One alias of a registration: a URN, or a spec the engine completes from the resource itself. */
export interface AliasMessage {
    getUrn(): string;
    getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}

/** The resource monitor the SDK registers resources with; under mocks, the SDK's mock monitor. */
export interface ResourceMonitor {
    registerResource(req: RegisterResourceRequest, callback: unknown): unknown;
    newUrn(parent: string, type: string, name: string): string;
}

interface Settings {
    waitForRPCs(): Promise<void>;
    getMonitor(): ResourceMonitor | undefined;
}

interface Rpc {
    deserializeProperties(s: unknown, keepUnknowns?: boolean): any;
    specialSigKey: string;
    specialSecretSig: string;
    specialResourceSig: string;
}

const settings = require("@pulumi/pulumi/runtime/settings") as Settings;
const rpc = require("@pulumi/pulumi/runtime/rpc") as Rpc;

/** The key that marks a serialised special value, and the markers of a secret and of a resource reference. */
export const SIGNATURE_KEY: string = rpc.specialSigKey;
export const SECRET_SIGNATURE: string = rpc.specialSecretSig;
export const RESOURCE_SIGNATURE: string = rpc.specialResourceSig;

/** Resolves when every resource registration the program started has been answered. */
export function waitForRegistrations(): Promise<void> {
    return settings.waitForRPCs();
}

/** The monitor mocks installed (pulumi.runtime.setMocks must have run). */
export function resourceMonitor(): ResourceMonitor {
    const monitor = settings.getMonitor();
    if (!monitor) throw new Error("renderer: the Pulumi runtime has no resource monitor; call pulumi.runtime.setMocks first");
    return monitor;
}

/** A registration's inputs as plain values, secrets and resource references still marked. */
export function registeredInputs(req: RegisterResourceRequest): any {
    return rpc.deserializeProperties(req.getObject(), true);
}

/** An alias as plain data: a URN, or what differs from the resource (parent `null`: top-level). */
export interface AliasSpec {
    urn?: string;
    name?: string;
    type?: string;
    /** The alias's parent URN as the monitor knows it; `null` for no parent; absent for the resource's own parent. */
    parent?: string | null;
}

/** The aliases of a registration (structured alias specs: the mock monitor supports them, as the engine does). */
export function aliasSpecs(req: RegisterResourceRequest): AliasSpec[] {
    return req.getAliasesList().map((alias) => {
        if (alias.getUrn()) return { urn: alias.getUrn() };
        const spec = alias.getSpec();
        if (!spec) throw new Error(`renderer: an alias of ${req.getName()} has neither a URN nor a spec`);
        const out: AliasSpec = {};
        if (spec.getName()) out.name = spec.getName();
        if (spec.getType()) out.type = spec.getType();
        if (spec.getNoparent()) out.parent = null;
        else if (spec.getParenturn() && spec.getParenturn() !== req.getParent()) out.parent = spec.getParenturn();
        return out;
    });
}
