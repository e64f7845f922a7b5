// A minimal S3 client (path-style requests signed with AWS Signature V4, MinIO's root credentials) that
// the tests use to look at and tamper with the bucket, independently of the program under test (which
// goes through the AWS SDK).
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";

export interface S3Object {
    key: string;
    size: number;
    etag: string;
}

const sha256 = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => crypto.createHmac("sha256", key).update(data).digest();
/** RFC 3986 encoding as SigV4 wants it ('/' kept in paths). */
const enc = (s: string, keepSlash = false) =>
    encodeURIComponent(s)
        .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
        .replace(/%2F/g, keepSlash ? "/" : "%2F");

export class S3Client {
    constructor(
        private readonly endpoint: string,
        private readonly region: string,
        private readonly accessKey: string,
        private readonly secretKey: string,
        /** The certificate authority to trust for an https endpoint (a throw-away one in the tests). */
        private readonly ca?: Buffer,
    ) {}

    request(
        method: string,
        path: string,
        query: Record<string, string> = {},
        body: Buffer = Buffer.alloc(0),
    ): Promise<{ status: number; body: Buffer }> {
        const url = new URL(this.endpoint);
        const now = new Date()
            .toISOString()
            .replace(/[-:]/g, "")
            .replace(/\.\d{3}/, "");
        const day = now.slice(0, 8);
        const payloadHash = sha256(body);
        const canonicalPath = enc(path, true);
        const canonicalQuery = Object.keys(query)
            .sort()
            .map((k) => `${enc(k)}=${enc(query[k])}`)
            .join("&");
        const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": payloadHash, "x-amz-date": now };
        const signed = Object.keys(headers).sort();
        const canonical = [
            method,
            canonicalPath,
            canonicalQuery,
            signed.map((h) => `${h}:${headers[h]}\n`).join(""),
            signed.join(";"),
            payloadHash,
        ].join("\n");
        const scope = `${day}/${this.region}/s3/aws4_request`;
        const toSign = ["AWS4-HMAC-SHA256", now, scope, sha256(canonical)].join("\n");
        const key = hmac(hmac(hmac(hmac("AWS4" + this.secretKey, day), this.region), "s3"), "aws4_request");
        const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
        headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.accessKey}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`;
        headers["content-length"] = String(body.length);
        return new Promise((resolve, reject) => {
            const options = {
                host: url.hostname,
                port: url.port,
                method,
                path: canonicalPath + (canonicalQuery ? `?${canonicalQuery}` : ""),
                headers,
            };
            const send =
                url.protocol === "https:"
                    ? (cb: (res: http.IncomingMessage) => void) => https.request({ ...options, ca: this.ca }, cb)
                    : (cb: (res: http.IncomingMessage) => void) => http.request(options, cb);
            const req = send((res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c) => chunks.push(c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
            });
            req.on("error", reject);
            req.end(body);
        });
    }

    private async ok(method: string, path: string, query?: Record<string, string>, body?: Buffer): Promise<Buffer> {
        const r = await this.request(method, path, query, body);
        if (r.status < 200 || r.status >= 300)
            throw new Error(`S3 ${method} ${path} -> HTTP ${r.status}: ${r.body.toString().slice(0, 500)}`);
        return r.body;
    }

    async createBucket(bucket: string): Promise<void> {
        await this.ok("PUT", `/${bucket}`);
    }

    async list(bucket: string, prefix: string): Promise<S3Object[]> {
        const xml = (await this.ok("GET", `/${bucket}`, { "list-type": "2", prefix, "max-keys": "1000" })).toString();
        if (/<IsTruncated>true<\/IsTruncated>/.test(xml)) throw new Error("more than 1000 objects: not expected in tests");
        const unescape = (s: string) =>
            s
                .replace(/&quot;/g, '"')
                .replace(/&amp;/g, "&")
                .replace(/&lt;/g, "<")
                .replace(/&gt;/g, ">");
        return [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, c]) => ({
            key: unescape(/<Key>([\s\S]*?)<\/Key>/.exec(c)![1]),
            size: Number(/<Size>(\d+)<\/Size>/.exec(c)![1]),
            etag: unescape(/<ETag>([\s\S]*?)<\/ETag>/.exec(c)![1]).replace(/"/g, ""),
        }));
    }

    get(bucket: string, key: string): Promise<Buffer> {
        return this.ok("GET", `/${bucket}/${key}`);
    }

    async put(bucket: string, key: string, body: Buffer): Promise<void> {
        await this.ok("PUT", `/${bucket}/${key}`, {}, body);
    }

    async delete(bucket: string, key: string): Promise<void> {
        await this.ok("DELETE", `/${bucket}/${key}`);
    }
}
