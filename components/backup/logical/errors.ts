// Exit codes of backup-restore.sh (documented in --help) and the one error type that carries them.

export const EXIT = {
    ok: 0,
    /** Dump, upload, S3 or PostgreSQL error. */
    fail: 1,
    /** Usage or configuration error: nothing was touched. */
    usage: 2,
    /** Another backup holds the lock. */
    locked: 3,
    /** Checksum, size, row counts or metadata do not match. */
    integrity: 4,
    /** The target database is not empty (see --force). */
    refused: 5,
    /** No complete backup matches the name or window. */
    notFound: 6,
    /** The backup comes from another database (see --allow-other-source). */
    otherSource: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the command line reports as one `ERROR:` line (plus an optional `hint:`) and exits with. */
export class BackupError extends Error {
    constructor(
        readonly code: ExitCode,
        message: string,
        readonly hint?: string,
    ) {
        super(message);
        this.name = "BackupError";
    }
}

export const usageError = (message: string) => new BackupError(EXIT.usage, message);

/** A write-once write found the key already there (HTTP 412) or racing another write (409). */
export class AlreadyExists extends Error {
    constructor(
        readonly key: string,
        readonly status?: number,
    ) {
        super(`s3 object ${key} already exists; it is written once and never replaced`);
        this.name = "AlreadyExists";
    }
}
