// Which dump objects under the prefix are backups, from one listing (no request per backup).
//
// A dump object is a backup when both sidecars exist, the object is not newer than either of them
// (the sidecars are written after the upload completed, so an object replaced afterwards shows up as
// newer), and S3 stored it when its name says it was taken (a name back- or post-dated to slip into a
// replay window is not a backup). Restore and validate then check the size the metadata records and
// the SHA-256 of the content itself.
import { DUMP_SUFFIX, META_SUFFIX, SHA256_SUFFIX, backupNamePattern, backupNameTime } from "../../../contract/backup";
import { ObjectInfo } from "./store";

/** A backup finishes within this long after the time in its name (the CronJob's deadline is 4 h). */
export const MAX_BACKUP_DURATION_MS = 6 * 3600 * 1000;
/** Clock skew allowed between the backup pod and S3. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface CatalogueEntry {
    name: string;
    size: number;
    /** When the backup was taken (from its name), ms since the epoch. */
    takenAt: number;
    /** "complete", or why the object is not a backup. */
    status: string;
}

export class Catalogue {
    private constructor(readonly entries: CatalogueEntry[]) {}

    static fromListing(objects: ObjectInfo[], namePrefix: string): Catalogue {
        const byName = new Map(objects.map((o) => [o.name, o]));
        const pattern = backupNamePattern(namePrefix);
        const entries: CatalogueEntry[] = [];
        for (const o of objects) {
            const takenAt = pattern.test(o.name) ? backupNameTime(o.name) : undefined;
            if (takenAt === undefined) continue;
            const sha = byName.get(o.name + SHA256_SUFFIX);
            const meta = byName.get(o.name + META_SUFFIX);
            let status = "complete";
            if (!sha) status = `incomplete: no ${SHA256_SUFFIX} (failed or unfinished backup)`;
            else if (!meta) status = `incomplete: no ${META_SUFFIX} (failed or unfinished backup)`;
            else if (o.lastModified > sha.lastModified || o.lastModified > meta.lastModified) {
                status = "bad: object changed after the backup (newer than its checksum); do not trust it";
            } else if (o.lastModified < takenAt - CLOCK_SKEW_MS || o.lastModified > takenAt + MAX_BACKUP_DURATION_MS) {
                status = `bad: stored at ${new Date(o.lastModified).toISOString()}, not when its name says; not a backup of this program, do not trust it`;
            }
            entries.push({ name: o.name, size: o.size, takenAt, status });
        }
        entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
        return new Catalogue(entries);
    }

    /** Complete backups, newest first. */
    complete(): CatalogueEntry[] {
        return this.entries.filter((e) => e.status === "complete");
    }

    get(name: string): CatalogueEntry | undefined {
        return this.entries.find((e) => e.name === name);
    }

    /** The newest complete backup taken in [fromMs, toMs] (either end open when undefined). */
    choose(fromMs?: number, toMs?: number): CatalogueEntry | undefined {
        return this.complete().find((e) => (fromMs === undefined || e.takenAt >= fromMs) && (toMs === undefined || e.takenAt <= toMs));
    }
}

export const isDumpName = (name: string) => name.endsWith(DUMP_SUFFIX);
