// The backup bucket through the AWS SDK: listing, reads, and write-once writes. Every write carries
// `If-None-Match: *` (for a multipart upload, on its CompleteMultipartUpload), so nothing this program
// writes can replace an existing object; the bucket policy refuses the writer role any write without
// it (components/backup/policies.ts).
import * as crypto from "crypto";
import * as fs from "fs";
import { Readable, Transform } from "stream";
import { pipeline } from "stream/promises";
import {
    GetObjectCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    S3Client,
    type ListObjectsV2CommandOutput,
    type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { AlreadyExists, BackupError, EXIT, ExitCode } from "./errors";
import { S3Settings } from "./settings";

export interface ObjectInfo {
    /** Key relative to the backup prefix. */
    name: string;
    size: number;
    /** ms since the epoch. */
    lastModified: number;
}

// Defined beside the other errors (no AWS SDK there), so the lock and the backup command can be
// loaded before the SDK is.
export { AlreadyExists } from "./errors";

/** What the lock and the commands need from the bucket; tests of the pure logic use an in-memory one. */
export interface ObjectStore {
    readonly where: string;
    list(subPrefix: string): Promise<ObjectInfo[]>;
    /** The object's bytes, or undefined when it does not exist. */
    get(name: string): Promise<Buffer | undefined>;
    /** Creates the object; throws AlreadyExists when the key exists. */
    putOnce(name: string, body: Buffer, contentType: string): Promise<void>;
}

export interface StreamUpload {
    done: Promise<void>;
    abort(): Promise<void>;
}

type Hint = [RegExp, string];

function hints(s: S3Settings): Hint[] {
    return [
        [
            /InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|InvalidClientTokenId|CredentialsProviderError|Could not load credentials|Unable to locate credentials/,
            "the S3 credentials are wrong or missing: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile, or the IRSA role annotation",
        ],
        [
            /AccessDenied|Forbidden|\b403\b/,
            `access denied: the role or user lacks permission on s3://${s.bucket}/${s.prefix} (writer role for backup, reader role for list/restore)`,
        ],
        [/NoSuchBucket/, `bucket '${s.bucket}' does not exist: check BACKUP_S3_BUCKET and AWS_REGION`],
        [
            /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|TimeoutError|socket hang up|connect ETIMEDOUT|NetworkingError/,
            "the S3 endpoint is unreachable: check BACKUP_S3_ENDPOINT, DNS and the network policy",
        ],
    ];
}

/** `name: message (code)` of an SDK or Node error, without request ids. */
export function describeError(err: unknown): string {
    const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e?.$metadata?.httpStatusCode;
    const parts = [
        e?.name && e.name !== "Error" ? e.name : undefined,
        e?.message,
        e?.code ? `(${e.code})` : undefined,
        status ? `HTTP ${status}` : undefined,
    ];
    return parts.filter((x) => x).join(": ") || String(err);
}

const status = (err: unknown): number | undefined => (err as any)?.$metadata?.httpStatusCode;
const isStatus = (err: unknown, ...codes: number[]) => codes.includes(status(err) ?? 0);
const isName = (err: unknown, ...names: string[]) => names.includes((err as any)?.name) || names.includes((err as any)?.Code);

export class S3Store implements ObjectStore {
    readonly client: S3Client;
    readonly where: string;

    /** `config` adds to the client's settings (tests pass credentials); the SDK's chain otherwise. */
    constructor(
        private readonly s: S3Settings,
        config: S3ClientConfig = {},
    ) {
        this.client = new S3Client({
            region: s.region,
            ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}),
            ...config,
        });
        this.where = `s3://${s.bucket}/${s.prefix}`;
    }

    key(name: string): string {
        return this.s.prefix + name;
    }

    /** Turns an SDK error into a BackupError naming what failed and a hint at the cause. */
    fail(what: string, err: unknown, code: ExitCode = EXIT.fail): BackupError {
        if (err instanceof BackupError) return err;
        const text = describeError(err);
        const hint = hints(this.s).find(([re]) => re.test(text) || re.test(String((err as any)?.code)))?.[1];
        return new BackupError(code, `S3 ${what} failed: ${text}`, hint);
    }

    async list(subPrefix: string): Promise<ObjectInfo[]> {
        const out: ObjectInfo[] = [];
        let token: string | undefined;
        do {
            let page: ListObjectsV2CommandOutput;
            try {
                page = await this.client.send(
                    new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: this.key(subPrefix), ContinuationToken: token }),
                );
            } catch (err) {
                throw this.fail(`listing ${this.where}${subPrefix}`, err);
            }
            for (const o of page.Contents ?? []) {
                out.push({ name: o.Key!.slice(this.s.prefix.length), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
            }
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return out;
    }

    /**
     * S3 answers a read of a missing key with 403, not 404, unless the caller may list the bucket for
     * that very request (the roles may list only under the prefix): a listing of the key tells them apart.
     */
    private async missing(name: string, err: unknown): Promise<boolean> {
        if (isName(err, "NoSuchKey", "NotFound") || isStatus(err, 404)) return true;
        if (!isStatus(err, 403)) return false;
        const found = await this.list(name).catch(() => undefined);
        return found !== undefined && !found.some((o) => o.name === name);
    }

    async head(name: string): Promise<{ size: number } | undefined> {
        try {
            const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.key(name) }));
            return { size: r.ContentLength ?? 0 };
        } catch (err) {
            if (await this.missing(name, err)) return undefined;
            throw this.fail(`reading ${this.where}${name}`, err);
        }
    }

    async get(name: string): Promise<Buffer | undefined> {
        try {
            const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(name) }));
            return Buffer.from(await r.Body!.transformToByteArray());
        } catch (err) {
            if (await this.missing(name, err)) return undefined;
            throw this.fail(`reading ${this.where}${name}`, err);
        }
    }

    async putOnce(name: string, body: Buffer, contentType: string): Promise<void> {
        try {
            await this.client.send(
                new PutObjectCommand({
                    Bucket: this.s.bucket,
                    Key: this.key(name),
                    Body: body,
                    ContentType: contentType,
                    IfNoneMatch: "*",
                }),
            );
        } catch (err) {
            if (isStatus(err, 412, 409) || isName(err, "PreconditionFailed", "ConditionalRequestConflict"))
                throw new AlreadyExists(this.key(name), status(err));
            throw this.fail(`writing ${this.where}${name}`, err);
        }
    }

    /**
     * Streams `body` into a new object with a multipart upload (`partSize` bytes a part, `queueSize`
     * parts in flight); the object appears only when `body` ends. Aborting, or `body` failing, leaves
     * no object (the parts are discarded).
     */
    uploadOnce(name: string, body: Readable, opts: { partSize: number; queueSize: number; contentType: string }): StreamUpload {
        const upload = new Upload({
            client: this.client,
            queueSize: opts.queueSize,
            partSize: opts.partSize,
            leavePartsOnError: false,
            params: { Bucket: this.s.bucket, Key: this.key(name), Body: body, ContentType: opts.contentType, IfNoneMatch: "*" },
        });
        const done = upload.done().then(
            () => undefined,
            (err) => {
                if (isStatus(err, 412, 409) || isName(err, "PreconditionFailed", "ConditionalRequestConflict"))
                    throw new AlreadyExists(this.key(name), status(err));
                throw this.fail(`upload of ${this.where}${name}`, err);
            },
        );
        return { done, abort: () => upload.abort() };
    }

    /** The object's bytes as a stream (read it to the end, or destroy it). */
    async open(name: string): Promise<Readable> {
        try {
            const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(name) }));
            return r.Body as Readable;
        } catch (err) {
            throw this.fail(`download of ${this.where}${name}`, err);
        }
    }

    /** Downloads an object into `file`, hashing on the way; returns its size and SHA-256. */
    async download(name: string, file: string): Promise<{ bytes: number; sha256: string }> {
        const hash = crypto.createHash("sha256");
        let bytes = 0;
        const tap = new Transform({
            transform(chunk: Buffer, _enc, cb) {
                hash.update(chunk);
                bytes += chunk.length;
                cb(null, chunk);
            },
        });
        try {
            const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(name) }));
            await pipeline(r.Body as Readable, tap, fs.createWriteStream(file, { flags: "wx", mode: 0o600 }));
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOSPC") {
                throw new BackupError(
                    EXIT.fail,
                    `no space left in ${file}`,
                    "set BACKUP_WORK_DIR to a directory with room for one compressed backup",
                );
            }
            throw this.fail(`download of ${this.where}${name}`, err);
        }
        return { bytes, sha256: hash.digest("hex") };
    }
}
