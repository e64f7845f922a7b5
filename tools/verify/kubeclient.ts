// A minimal client for the Kubernetes REST API (TLS verified against the cluster's CA, bearer
// token): discovery, create, get, update, and server-side dry-run create with strict field
// validation. Enough for the verifier; no kubectl needed (its version would have to match).
import * as https from "https";
import { KubeObject, groupVersion } from "./manifest";

export interface KubeResponse {
    status: number;
    body: any;
    warnings: string[];
}

export interface RequestOptions {
    /** Another server with the same credentials (e.g. a controller's /healthz); default: the API server. */
    baseUrl?: string;
    /** Do not verify the server's certificate (the controllers serve self-signed ones). */
    insecure?: boolean;
    /** Body type, e.g. application/merge-patch+json for a PATCH (default application/json). */
    contentType?: string;
}

export interface ResourceInfo {
    name: string; // plural resource name
    namespaced: boolean;
}

export class KubeClient {
    private readonly resources = new Map<string, ResourceInfo>();

    constructor(
        readonly server: string,
        private readonly token: string,
        private readonly ca: string,
    ) {}

    request(method: string, urlPath: string, body?: unknown, opts: RequestOptions = {}): Promise<KubeResponse> {
        const url = new URL(urlPath, opts.baseUrl ?? this.server);
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    ca: this.ca,
                    rejectUnauthorized: !opts.insecure,
                    headers: {
                        Authorization: `Bearer ${this.token}`,
                        Accept: "application/json",
                        ...(payload ? { "Content-Type": opts.contentType ?? "application/json", "Content-Length": payload.length } : {}),
                    },
                    timeout: 60_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: any = text;
                        try {
                            parsed = text ? JSON.parse(text) : undefined;
                        } catch {
                            /* plain-text answer (e.g. /readyz) */
                        }
                        const raw = res.headers["warning"];
                        const warnings = (Array.isArray(raw) ? raw : raw ? [raw] : []).flatMap(splitWarnings);
                        resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
            req.on("error", reject);
            if (payload) req.write(payload);
            req.end();
        });
    }

    /** Rebuilds the kind -> resource map from discovery (call again after installing CRDs). */
    async discover(): Promise<void> {
        this.resources.clear();
        const core = await this.request("GET", "/api/v1");
        this.addResources("v1", core.body);
        const groups = await this.request("GET", "/apis");
        for (const g of groups.body.groups ?? []) {
            for (const v of g.versions ?? []) {
                const res = await this.request("GET", `/apis/${v.groupVersion}`);
                if (res.status === 200) this.addResources(v.groupVersion, res.body);
            }
        }
    }

    private addResources(groupVersionName: string, list: any): void {
        for (const r of list?.resources ?? []) {
            if (r.name.includes("/")) continue; // subresources
            this.resources.set(`${groupVersionName}/${r.kind}`, { name: r.name, namespaced: r.namespaced });
        }
    }

    resourceFor(apiVersion: string, kind: string): ResourceInfo | undefined {
        return this.resources.get(`${apiVersion}/${kind}`);
    }

    /** Collection URL of an object's resource, or undefined if the server does not serve its kind. */
    collectionPath(obj: KubeObject, namespace?: string): string | undefined {
        const info = this.resourceFor(obj.apiVersion, obj.kind);
        if (!info) return undefined;
        const { group, version } = groupVersion(obj.apiVersion);
        const base = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
        return info.namespaced ? `${base}/namespaces/${encodeURIComponent(namespace ?? "default")}/${info.name}` : `${base}/${info.name}`;
    }

    /** POST with ?dryRun=All: the server runs defaulting, validation and admission, stores nothing. */
    dryRunCreate(obj: KubeObject, namespace?: string): Promise<KubeResponse> {
        const p = this.collectionPath(obj, namespace);
        if (!p) throw new Error(`the API server does not serve ${obj.apiVersion} ${obj.kind}`);
        return this.request("POST", `${p}?dryRun=All&fieldValidation=Strict&fieldManager=kline-verify`, obj);
    }

    /** A real create (used only for prerequisites: namespaces, CRDs, service accounts). */
    create(obj: KubeObject, namespace?: string): Promise<KubeResponse> {
        const p = this.collectionPath(obj, namespace);
        if (!p) throw new Error(`the API server does not serve ${obj.apiVersion} ${obj.kind}`);
        return this.request("POST", `${p}?fieldValidation=Strict&fieldManager=kline-verify`, obj);
    }
}

/** A Warning header may carry several comma-separated `299 - "text"` values. */
function splitWarnings(header: string): string[] {
    const out: string[] = [];
    const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(header)) !== null) out.push(m[1].replace(/\\(.)/g, "$1"));
    return out.length > 0 ? out : [header];
}

/** The server's explanation of a rejected request. */
export function reason(res: KubeResponse): string {
    if (typeof res.body === "object" && res.body?.message) return `${res.status} ${res.body.reason ?? ""}: ${res.body.message}`.trim();
    return `${res.status}: ${typeof res.body === "string" ? res.body.trim() : JSON.stringify(res.body)}`;
}
