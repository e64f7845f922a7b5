// Pulumi mocks that compute realistic provider outputs, so an offline render never shows
// `undefined` where the engine would fill in an ARN, an id or a generated value. Every value
// is derived from the resource's type and name: the same program renders byte-identical output.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";
export const MOCK_PARTITION = "aws";

function digest(...parts: string[]): string {
    return crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/** A deterministic value shaped like what the provider would compute. */
function fakeUuid(seed: string): string {
    const h = digest(seed);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function randomText(seed: string, length: number, alphabet: string): string {
    let out = "";
    let h = digest(seed);
    while (out.length < length) {
        for (let i = 0; i + 2 <= h.length && out.length < length; i += 2) {
            out += alphabet[parseInt(h.slice(i, i + 2), 16) % alphabet.length];
        }
        h = digest(h);
    }
    return out;
}

export function computeState(type: string, name: string, inputs: any, region: string): { id: string; state: any } {
    const seed = `${type}::${name}`;
    const state: any = { ...inputs };
    let id = `${name}-${digest(seed).slice(0, 8)}`;
    const arn = (service: string, resource: string, withRegion = true) =>
        `arn:${MOCK_PARTITION}:${service}:${withRegion ? region : ""}:${MOCK_ACCOUNT_ID}:${resource}`;

    switch (type) {
        case "random:index/randomString:RandomString":
        case "random:index/randomPassword:RandomPassword": {
            const length = inputs.length ?? 16;
            const lower = "abcdefghijklmnopqrstuvwxyz";
            const alphabet =
                (inputs.lower === false ? "" : lower) +
                (inputs.upper === false ? "" : lower.toUpperCase()) +
                (inputs.numeric === false ? "" : "0123456789");
            state.result = randomText(seed, length, alphabet || lower);
            id = type.includes("Password") ? "none" : state.result;
            break;
        }
        case "random:index/randomId:RandomId": {
            const hex = digest(seed).slice(0, (inputs.byteLength ?? 4) * 2);
            state.hex = hex;
            state.dec = BigInt(`0x${hex}`).toString(10);
            state.b64Url = Buffer.from(hex, "hex").toString("base64url");
            state.b64Std = Buffer.from(hex, "hex").toString("base64");
            id = state.b64Url;
            break;
        }
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2": {
            const bucket = inputs.bucket ?? `${name}-${digest(seed).slice(0, 7)}`;
            state.bucket = bucket;
            state.arn = `arn:${MOCK_PARTITION}:s3:::${bucket}`;
            state.bucketDomainName = `${bucket}.s3.amazonaws.com`;
            state.bucketRegionalDomainName = `${bucket}.s3.${region}.amazonaws.com`;
            state.region = region;
            id = bucket;
            break;
        }
        case "aws:iam/role:Role":
            state.name = inputs.name ?? `${name}-${digest(seed).slice(0, 7)}`;
            state.arn = `arn:${MOCK_PARTITION}:iam::${MOCK_ACCOUNT_ID}:role/${state.name}`;
            state.uniqueId = `AROA${digest(seed).slice(0, 17).toUpperCase()}`;
            id = state.name;
            break;
        case "aws:iam/policy:Policy":
            state.name = inputs.name ?? `${name}-${digest(seed).slice(0, 7)}`;
            state.arn = `arn:${MOCK_PARTITION}:iam::${MOCK_ACCOUNT_ID}:policy/${state.name}`;
            id = state.arn;
            break;
        case "aws:kms/key:Key": {
            const keyId = fakeUuid(seed);
            state.keyId = keyId;
            state.arn = arn("kms", `key/${keyId}`);
            id = keyId;
            break;
        }
        case "aws:kms/alias:Alias":
            state.arn = arn("kms", inputs.name ?? `alias/${name}`);
            id = inputs.name ?? `alias/${name}`;
            break;
        default:
            if (type.startsWith("kubernetes:")) {
                // The Kubernetes provider auto-names objects without metadata.name by appending a suffix.
                const metadata = { ...(inputs.metadata ?? {}) };
                if (!metadata.name && type !== "kubernetes:helm.sh/v3:Release") {
                    metadata.name = `${name}-${digest(seed).slice(0, 8)}`;
                }
                if (inputs.metadata !== undefined || type !== "kubernetes:helm.sh/v3:Release") state.metadata = metadata;
                if (type === "kubernetes:helm.sh/v3:Release") {
                    state.name = inputs.name ?? `${name}-${digest(seed).slice(0, 8)}`;
                    state.status = { status: "deployed", namespace: inputs.namespace, name: state.name, version: inputs.version };
                }
                id = metadata.namespace ? `${metadata.namespace}/${metadata.name}` : (metadata.name ?? id);
            } else if (type.startsWith("aws:")) {
                state.arn = state.arn ?? arn(type.split(":")[1].split("/")[0], name);
            }
    }
    return { id, state };
}

/** Mocks for provider function calls (data sources) the program uses. */
export function mockCall(token: string, inputs: any, region: string): Record<string, any> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/ci`, userId: "AIDAMOCK", id: MOCK_ACCOUNT_ID };
        case "aws:index/getPartition:getPartition":
            return { partition: MOCK_PARTITION, dnsSuffix: "amazonaws.com", id: MOCK_PARTITION };
        case "aws:index/getRegion:getRegion":
            return { name: region, region, id: region };
        default:
            return { ...inputs };
    }
}

export interface RecordedResource {
    type: string;
    name: string;
    custom: boolean;
    inputs: any;
    state: any;
}

/** Mocks that remember every resource registration in order. */
export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    /**
     * @param stackOutputs the outputs a StackReference reads, by referenced stack name (offline,
     * the canary's production stack is taken as deployed the way the canary's config expects).
     */
    constructor(
        readonly region = "us-west-2",
        readonly stackOutputs: (stack: string) => Record<string, unknown> = () => ({}),
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: any } {
        if (args.type === "pulumi:pulumi:StackReference") {
            const stack = String(args.inputs.name);
            const state = { name: stack, outputs: this.stackOutputs(stack), secretOutputNames: [] };
            this.resources.push({ type: args.type, name: args.name, custom: true, inputs: args.inputs, state });
            return { id: stack, state };
        }
        const { id, state } = computeState(args.type, args.name, args.inputs, this.region);
        this.resources.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs, state });
        return { id: args.custom === false ? undefined : id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return mockCall(args.token, args.inputs, this.region);
    }
}
