// The sidecars of a backup: `<name>.sha256` (sha256sum -c format) and `<name>.meta.json` (the
// BackupMetadata of contract/backup.ts), written and read back as typed data.
import { BackupMetadata, METADATA_FORMAT, SourceIdentity } from "../../../contract/backup";
import { BackupError, EXIT } from "./errors";

export function checksumSidecar(name: string, sha256: string): string {
    return `${sha256}  ${name}\n`;
}

/** The SHA-256 a `.sha256` sidecar records for `name`; throws an integrity error when malformed. */
export function parseChecksumSidecar(name: string, body: Buffer): string {
    const m = /^([0-9a-f]{64}) [ *](\S+)\n?$/.exec(body.toString("utf8"));
    if (!m || m[2] !== name)
        throw new BackupError(EXIT.integrity, `the ${name}.sha256 sidecar is malformed or names another object; restore refused`);
    return m[1];
}

/** What a restore needs from the metadata; `source` is absent in backups of the first format. */
export interface RestoreFacts {
    formatVersion: number;
    sizeBytes: number;
    sha256: string;
    encoding: string;
    /** Owner role of the backed-up database (absent in backups of the first format). */
    owner?: string;
    rowCounts: Record<string, number>;
    source?: SourceIdentity;
    /** Size of the source database on disk when it was backed up: what its uncompressed dump is sized by. */
    databaseSizeBytes?: number;
}

export function parseMetadata(name: string, body: Buffer): RestoreFacts {
    const bad = (why: string) => new BackupError(EXIT.integrity, `the metadata of ${name} is unusable (${why}); restore refused`);
    let m: Partial<BackupMetadata> & Record<string, unknown>;
    try {
        m = JSON.parse(body.toString("utf8"));
    } catch {
        throw bad("not JSON");
    }
    if (typeof m !== "object" || m === null) throw bad("not an object");
    if (m.name !== name) throw bad(`it names ${JSON.stringify(m.name)}`);
    if (!Number.isSafeInteger(m.size_bytes) || (m.size_bytes as number) < 0) throw bad("size_bytes");
    if (typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256)) throw bad("sha256");
    const encoding = typeof m.encoding === "string" && /^[A-Za-z0-9_]{1,32}$/.test(m.encoding) ? m.encoding : undefined;
    if (!encoding) throw bad("encoding");
    const counts = m.row_counts;
    if (typeof counts !== "object" || counts === null || Array.isArray(counts)) throw bad("row_counts");
    for (const [t, n] of Object.entries(counts)) if (!Number.isSafeInteger(n) || (n as number) < 0) throw bad(`row count of ${t}`);
    const formatVersion = m.format_version === undefined ? 1 : Number(m.format_version);
    let source: SourceIdentity | undefined;
    if (formatVersion >= 2) {
        const s = m.source as Partial<SourceIdentity> | undefined;
        if (!s || typeof s.systemIdentifier !== "string" || !/^\d{1,20}$/.test(s.systemIdentifier) || typeof s.database !== "string") {
            throw bad("source identity");
        }
        source = { systemIdentifier: s.systemIdentifier, database: s.database, host: String(s.host ?? ""), port: Number(s.port ?? 0) };
    }
    return {
        formatVersion,
        sizeBytes: m.size_bytes as number,
        sha256: m.sha256,
        encoding,
        rowCounts: counts as Record<string, number>,
        source,
        owner: typeof m.database_owner === "string" && m.database_owner !== "" ? m.database_owner : undefined,
        databaseSizeBytes:
            Number.isSafeInteger(m.database_size_bytes) && (m.database_size_bytes as number) >= 0
                ? (m.database_size_bytes as number)
                : undefined,
    };
}

/** Why a backup does not come from `current` (system identifier and database name), or undefined. */
export function sourceMismatch(
    recorded: SourceIdentity | undefined,
    current: { systemIdentifier: string; database: string },
): string | undefined {
    if (!recorded) return "it records no source database (made by an older version of this program)";
    const diffs: string[] = [];
    if (recorded.systemIdentifier !== current.systemIdentifier) {
        diffs.push(`PostgreSQL system identifier ${recorded.systemIdentifier}, this server's is ${current.systemIdentifier}`);
    }
    if (recorded.database !== current.database) diffs.push(`database "${recorded.database}", this source is "${current.database}"`);
    if (!diffs.length) return undefined;
    return `it comes from another database (${diffs.join("; ")}; taken on ${recorded.host}:${recorded.port})`;
}

export function buildMetadata(m: Omit<BackupMetadata, "format_version">): BackupMetadata {
    return { format_version: METADATA_FORMAT, ...m };
}
