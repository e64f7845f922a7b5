// Two backups never run at once: a lock in the bucket, taken atomically with write-once objects.
//
// The lock is a chain of generations `<prefix>.locks/backup.lock.<000000000001>`, each a small JSON
// record written once (`If-None-Match: *`). The newest generation says who holds the lock. To take it,
// a backup reads the newest generation N; if it is held by another owner and not expired, the backup
// gives up; otherwise it writes generation N+1 as held. Two backups that both read N race for the
// same key N+1 and S3 lets exactly one of them create it (the other gets 412 and reads again). Release
// writes N+2 as released. Nothing is ever overwritten or deleted, so the writer role needs neither;
// the bucket lifecycle expires old generations with the backups.
//
// A lock left behind by a dead backup expires `ttlSeconds` after it was taken; a retry of the same
// CronJob Job (same owner, the Job name) may take over its own lock at once. The expiry a record
// claims is capped by the time S3 stored it (LastModified) plus the longest TTL allowed, so a forged
// record cannot block backups for longer than that.
import { LIMITS, LOCK_KEY_PREFIX } from "../../../contract/backup";
import { BackupError, EXIT } from "./errors";
import { LockSettings } from "./settings";
import { AlreadyExists } from "./errors";
import type { ObjectInfo, ObjectStore } from "./store";

export interface LockRecord {
    owner: string;
    state: "held" | "released";
    /** Epoch seconds after which a held lock may be taken over. */
    expires: number;
    at: string;
}

const SEQ_DIGITS = 12;
const GENERATION = new RegExp(`^${LOCK_KEY_PREFIX.replace(/\./g, "\\.")}(\\d{${SEQ_DIGITS}})$`);

export const lockKey = (seq: number) => `${LOCK_KEY_PREFIX}${String(seq).padStart(SEQ_DIGITS, "0")}`;

/** The newest lock generation in a listing, or undefined when there is none. */
export function newestGeneration(objects: ObjectInfo[]): { seq: number; object: ObjectInfo } | undefined {
    let best: { seq: number; object: ObjectInfo } | undefined;
    for (const o of objects) {
        const m = GENERATION.exec(o.name);
        if (m && (!best || Number(m[1]) > best.seq)) best = { seq: Number(m[1]), object: o };
    }
    return best;
}

export function parseLockRecord(body: Buffer | undefined): LockRecord | undefined {
    if (!body) return undefined;
    try {
        const r = JSON.parse(body.toString("utf8"));
        if (typeof r.owner === "string" && (r.state === "held" || r.state === "released") && Number.isSafeInteger(r.expires)) {
            return { owner: r.owner, state: r.state, expires: r.expires, at: String(r.at ?? "") };
        }
    } catch {
        /* not a record of ours */
    }
    return undefined;
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Whether the newest generation keeps `me` out, and why. Pure, for the tests. */
export function blockedBy(
    record: LockRecord | undefined,
    storedAtMs: number,
    me: string,
    ttlSeconds: number,
    nowMs: number,
): { blocked: false; note?: string } | { blocked: true; owner: string; expires: number } {
    const now = Math.floor(nowMs / 1000);
    const stored = Math.floor(storedAtMs / 1000);
    if (record === undefined) {
        // Not a record this program wrote: it blocks like a held lock of unknown owner for one TTL.
        const expires = stored + ttlSeconds;
        return expires > now
            ? { blocked: true, owner: "(unreadable lock record)", expires }
            : { blocked: false, note: "an unreadable lock record expired" };
    }
    if (record.state === "released") return { blocked: false };
    const expires = Math.min(record.expires, stored + LIMITS.lockTtlSeconds.max);
    if (record.owner === me) return { blocked: false, note: `taking over our own stale lock (owner ${me})` };
    if (expires > now) return { blocked: true, owner: record.owner, expires };
    return { blocked: false, note: `lock of ${record.owner} expired at ${iso(expires)}; taking it over` };
}

export class BackupLock {
    private released = false;

    private constructor(
        private readonly store: ObjectStore,
        private readonly owner: string,
        readonly seq: number,
        private readonly log: (line: string) => void,
    ) {}

    /** Takes the lock or throws BackupError(EXIT.locked); S3 errors come through as they are. */
    static async acquire(
        store: ObjectStore,
        s: LockSettings,
        log: (line: string) => void,
        now: () => number = Date.now,
    ): Promise<BackupLock> {
        for (let attempt = 0; attempt < 5; attempt++) {
            const newest = newestGeneration(await store.list(LOCK_KEY_PREFIX));
            const seq = newest ? newest.seq + 1 : 1;
            if (newest) {
                const record = parseLockRecord(await store.get(newest.object.name));
                const verdict = blockedBy(record, newest.object.lastModified, s.owner, s.ttlSeconds, now());
                if (verdict.blocked) {
                    throw new BackupError(
                        EXIT.locked,
                        `another backup holds the lock ${store.where}${newest.object.name} (owner ${verdict.owner}, expires ${iso(verdict.expires)})`,
                        "if that backup is dead, wait for the expiry (BACKUP_LOCK_TTL) or rerun the same CronJob Job",
                    );
                }
                if (verdict.note) log(verdict.note);
            }
            const record: LockRecord = {
                owner: s.owner,
                state: "held",
                expires: Math.floor(now() / 1000) + s.ttlSeconds,
                at: new Date(now()).toISOString(),
            };
            try {
                await store.putOnce(lockKey(seq), Buffer.from(JSON.stringify(record) + "\n"), "application/json");
                return new BackupLock(store, s.owner, seq, log);
            } catch (err) {
                if (!(err instanceof AlreadyExists)) throw err;
                // Another backup wrote generation `seq` first: read again (it holds the lock now).
            }
        }
        throw new BackupError(
            EXIT.locked,
            `the lock ${store.where}${LOCK_KEY_PREFIX}* changed hands five times while this backup tried to take it`,
        );
    }

    /** Writes the released generation; a failure is logged, not thrown (the lock then expires by itself). */
    async release(): Promise<boolean> {
        if (this.released) return true;
        this.released = true;
        const record: LockRecord = { owner: this.owner, state: "released", expires: 0, at: new Date().toISOString() };
        try {
            await this.store.putOnce(lockKey(this.seq + 1), Buffer.from(JSON.stringify(record) + "\n"), "application/json");
            return true;
        } catch (err) {
            const why = err instanceof AlreadyExists ? "another backup took it over meanwhile" : (err as Error).message;
            this.log(
                `WARNING: could not release the lock ${this.store.where}${lockKey(this.seq)} (${why}); it expires by itself after BACKUP_LOCK_TTL, or a retry with the same BACKUP_LOCK_OWNER takes it over`,
            );
            return false;
        }
    }
}
